"""The DRCD refusal sets of docs/decisions.md ("Refusals and windows retuned on DRCD"), as made for it
(/tmp/w12 there): 150 DRCD questions (seed 1) of paragraphs the seeded 300-question sample does not
use, asked of the corpus without their paragraphs, and the off-topic questions of rag.train.selector."""
import json, random, sys
sys.path.insert(0, '.')
from rag.train.selector import OFF_TOPIC
from rag.evals.questions import load_questions, sample_questions
OUT = sys.argv[1] if len(sys.argv) > 1 else '/tmp/w12'
src = '../shared/benchmarks/drcd/'
qs = [json.loads(l) for l in open(src + 'questions_train.jsonl')]
corpus = [json.loads(l) for l in open(src + 'corpus.jsonl')]
ans_ids = {q.id for q in sample_questions(load_questions(src + 'questions_train.jsonl'), 300, 0)}
rest = [q for q in qs if q['id'] not in ans_ids]
rng = random.Random(1)
used = {g for q in qs if q['id'] in ans_ids for g in q['gold_doc_ids']}
rng.shuffle(rest)
pick, paras = [], set()
for q in rest:
    g = q['gold_doc_ids'][0]
    if g in used or g in paras:
        continue
    pick.append(q)
    paras.add(g)
    if len(pick) == 150:
        break
with open(f'{OUT}/drcd_nopara_corpus.jsonl', 'w') as f:
    f.writelines(json.dumps(d, ensure_ascii=False) + '\n' for d in corpus if d['id'] not in paras)
with open(f'{OUT}/drcd_nopara_q.jsonl', 'w') as f:
    for q in pick:
        f.write(json.dumps({"id": q['id'] + '/np', "lang": "zh", "kind": "no-paragraph", "question": q['question'],
                            "answer": None, "answer_keys": [], "evidence": [], "gold_doc_ids": [],
                            "refs": q['answers']}, ensure_ascii=False) + '\n')
with open(f'{OUT}/offtopic_zh.jsonl', 'w') as f:
    for i, t in enumerate(OFF_TOPIC):
        f.write(json.dumps({"id": f"off{i}", "lang": "zh", "kind": "off-topic", "question": t, "answer": None,
                            "answer_keys": [], "evidence": [], "gold_doc_ids": []}, ensure_ascii=False) + '\n')
