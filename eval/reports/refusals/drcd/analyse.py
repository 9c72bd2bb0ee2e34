import json, sys, collections
sys.path.insert(0, '/work/wt-12')
from rag.evals import metrics as M
T = sys.argv[1] if len(sys.argv) > 1 else ''
def load(n):
    try: return [json.loads(l) for l in open(f'/tmp/w12/{n}{T}.jsonl')]
    except FileNotFoundError: return []
drcd, off, nop, bul = load('drcd'), load('off_drcd'), load('nopara'), load('bulletin')
refs = {json.loads(l)['id']: json.loads(l)['refs'] for l in open('/tmp/w12/drcd_nopara_q.jsonl')}
def clean_np(r):  # no passage holds an answer
    return not any(M.contains_answer(p, [], refs[r['id']]) for p in r['passages'])
variants = list(dict.fromkeys(r['variant'] for r in drcd + bul))
print(f"{'variant':10s} {'drcd_cont':>9s} {'wrongref':>8s} {'ref|inP':>7s} {'win':>4s} {'sent':>4s} {'np_ref':>7s} {'off_d':>6s} {'off_b':>6s} {'bul_c':>6s} {'bul_u':>5s} {'prec':>5s} {'rec':>5s}")
for v in variants:
    d = [r for r in drcd if r['variant'] == v]
    c = collections.Counter(r['class'] for r in d)
    n = len(d) or 1
    wr = sum(r['refused'] for r in d) / n
    np_ = [r for r in nop if r['variant'] == v and clean_np(r)]
    od = [r for r in off if r['variant'] == v]
    b = [r for r in bul if r['variant'] == v]
    bans = [r for r in b if 'keys' in r]
    boff = [r for r in b if 'keys' not in r]
    # refusal precision / recall over DRCD answerable + no-paragraph + off-topic (both corpora)
    rows = [(r['refused'], r['class'] in ('retrieval',)) for r in d] + [(r['refused'], True) for r in np_ + od + boff]
    tp = sum(a and s for a, s in rows); nr = sum(a for a, _ in rows); ns = sum(s for _, s in rows)
    f = lambda xs: f"{sum(r['class']=='refused' for r in xs)}/{len(xs)}"
    print(f"{v:10s} {c['right']/n:9.3f} {wr:8.3f} {c['refused']/n:7.3f} {c['window']:4d} {c['sentence']:4d} {f(np_):>7s} {f(od):>6s} {f(boff):>6s} "
          f"{sum(r['class']=='right' for r in bans)}/{len(bans):<3d} {tp/max(1,nr):5.3f} {tp/max(1,ns):5.3f}")
