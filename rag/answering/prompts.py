"""What the assistant says in fixed words, and the prompts sent to an LLM, in Chinese and
English. Edit them here and nowhere else."""
from __future__ import annotations

from ..types import Hit

# The reply when the bulletins hold no answer (any answerer).
REFUSAL = {
    "zh": "抱歉，简报中没有找到能回答这个问题的内容。",
    "en": "Sorry, the bulletins do not contain an answer to this question.",
}

# A refusal that names the detail of the question the bulletins lack (GDP, 济南高新区, 2022年).
REFUSAL_MISSING = {
    "zh": "抱歉，简报中没有关于{missing}的内容。",
    "en": "Sorry, the bulletins say nothing about {missing}.",
}

# A caveat: the bulletins lack the detail asked for, and hold a neighbouring fact, given as such.
# {missing}: what the question asked (2022年); {found}: what the passage is about instead (2023年以来).
CAVEAT = {
    "zh": "简报中没有{missing}的{what}，只有{found}的：",
    "en": "The bulletins have no {what} for {missing}; they give {found}: ",
}
CAVEAT_WHAT = {"zh": {"number": "数据", "date": "信息", "other": "信息"},
               "en": {"number": "figures", "date": "information", "other": "information"}}
LIST_SEP = {"zh": "、", "en": ", "}

# A question longer than the limit (Settings.max_question_chars) is refused before anything else.
TOO_LONG = {
    "zh": "问题太长（{n}个字符，上限{limit}）：请缩短到{limit}个字符以内再问。",
    "en": "The question is too long ({n} characters; the limit is {limit}): please shorten it and ask again.",
}

ANSWER_SYSTEM = {
    "zh": (
        "你是新闻公告的问答助手。只根据下面编号的资料回答问题，不要使用资料以外的知识。\n"
        "要求：\n"
        "1. 回答简洁，用中文。\n"
        "2. 每句陈述后面用 [n] 标出支持它的资料编号，例如：……增长了12%[2]。\n"
        "3. 只能引用下面给出的编号。\n"
        "4. 如果资料中没有答案，只回答：资料中没有找到答案。"
    ),
    "en": (
        "You answer questions about news bulletins. Answer only from the numbered passages below; "
        "do not use outside knowledge.\n"
        "Rules:\n"
        "1. Answer briefly, in English (quoting Chinese names or figures is fine).\n"
        "2. End every claim with the number of the passage that supports it, like this: "
        "... grew by 12% [2].\n"
        "3. Cite only the numbers given below.\n"
        "4. If the passages do not contain the answer, reply only: The passages do not contain the answer."
    ),
}

# What the model is told to say when the passages hold no answer; used to detect a refusal.
NO_ANSWER = {"zh": "资料中没有找到答案", "en": "The passages do not contain the answer"}

ANSWER_USER = {
    "zh": "资料：\n{passages}\n\n问题：{question}",
    "en": "Passages:\n{passages}\n\nQuestion: {question}",
}

CONDENSE_SYSTEM = {
    "zh": ("根据对话历史，把用户的后续问题改写成一个独立、完整的问题，补全省略的主语和指代。"
           "只输出改写后的问题，不要回答。"),
    "en": ("Rewrite the user's follow-up question as one standalone question, filling in what it refers "
           "to from the conversation. Output only the rewritten question; do not answer it."),
}

CONDENSE_USER = {
    "zh": "对话历史：\n{history}\n\n后续问题：{question}\n\n独立问题：",
    "en": "Conversation:\n{history}\n\nFollow-up question: {question}\n\nStandalone question:",
}


def format_passages(hits: list[Hit], max_chars: int = 600) -> str:
    """Numbered passages, each headed by its title and section, and its byline and date when it
    has them (who wrote it and when are questions too)."""
    blocks = []
    for i, h in enumerate(hits, 1):
        c = h.chunk
        head = " / ".join(x for x in (c.title, c.section) if x)
        signed = ", ".join(x for x in (c.author, c.date) if x)
        head = f"{head} ({signed})" if head and signed else head or signed
        text = c.text if len(c.text) <= max_chars else c.text[:max_chars] + "…"
        blocks.append(f"[{i}] {head}\n{text}" if head else f"[{i}] {text}")
    return "\n\n".join(blocks)


def format_history(history: list[tuple[str, str]], max_turns: int = 3) -> str:
    """The last turns of a conversation as ``用户/助手`` (or User/Assistant) lines."""
    lines = []
    for role, text in history[-2 * max_turns:]:
        lines.append(f"{'User' if role == 'user' else 'Assistant'}: {text}")
    return "\n".join(lines)


def answer_messages(question: str, hits: list[Hit], lang: str) -> list[tuple[str, str]]:
    return [("system", ANSWER_SYSTEM[lang]),
            ("human", ANSWER_USER[lang].format(passages=format_passages(hits), question=question))]


def condense_messages(question: str, history: list[tuple[str, str]], lang: str) -> list[tuple[str, str]]:
    return [("system", CONDENSE_SYSTEM[lang]),
            ("human", CONDENSE_USER[lang].format(history=format_history(history), question=question))]
