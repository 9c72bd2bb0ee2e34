"""Text helpers every stage shares: characters and script folding, dates, sentences, citation markers,
language and terms."""
from .chars import CJK, count_cjk, fold, has_cjk, normalize, squash
from .detect import KINDS, AskedFor, acronyms, answer_type, asked_for, language, type_fit
from .dates import DateError, date_range, in_range, parse_date
from .guard import not_a_question, planted_instruction
from .markers import MARKER, marker_numbers, strip_markers
from .sentences import clauses, sentence_ends, split_sentences
from .terms import (TOKENIZERS, check_scheme, coverage, jieba, question_terms, question_words, tokenize,
                    tokenize_query, use_lexicon, word_frequency, word_tags)

__all__ = ["CJK", "count_cjk", "fold", "has_cjk", "normalize", "squash", "KINDS", "AskedFor", "acronyms", "answer_type",
           "asked_for", "language", "not_a_question", "planted_instruction", "type_fit", "DateError", "date_range", "in_range", "parse_date", "MARKER", "marker_numbers", "strip_markers", "clauses",
           "sentence_ends", "split_sentences", "TOKENIZERS", "check_scheme", "coverage", "jieba",
           "question_terms", "question_words", "tokenize", "tokenize_query", "use_lexicon", "word_frequency", "word_tags"]
