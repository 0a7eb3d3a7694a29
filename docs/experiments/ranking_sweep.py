import sys, json, numpy as np
sys.path.insert(0,'/work/main')
from bot.settings import Settings
from bot.retrieval.opening import open_searcher
from bot.retrieval.metrics import load_eval
s=open_searcher(Settings.from_env())
idx=s.index
V=idx.faiss_index.reconstruct_n(0, idx.faiss_index.ntotal)
P=idx.passages
n=s.n_items
tgt=s.passage_target
sets={name: load_eval(__import__('pathlib').Path(f'/work/shared/eval/{name}.jsonl')) for name in ['dev','life-dev']}
qcache={}
def qv(texts):
    miss=[t for t in texts if t not in qcache]
    for i in range(0,len(miss),64):
        for t,v in zip(miss[i:i+64], s.embedder.embed_queries([idx.pinyin.correct(x) for x in miss[i:i+64]])): qcache[t]=v
    return np.stack([qcache[t] for t in texts])
def run(mask, agg='max', lexw=0.05, k=2, alpha=0.0):
    out={}
    for name,qs in sets.items():
        ins=[q for q in qs if q.gold]
        Q=qv([q.q for q in ins])
        sims=Q@V[mask].T
        t=tgt[mask]
        top1=top3=0
        for qi,q in enumerate(ins):
            row=sims[qi]
            sc=np.full(n, -1.0)
            if agg=='max':
                np.maximum.at(sc, t[t<n], row[t<n])
            else:
                # max + alpha * second best
                order=np.argsort(-row)[:400]
                best={};second={}
                for j in order:
                    tt=t[j]
                    if tt>=n: continue
                    if tt not in best: best[tt]=row[j]
                    elif tt not in second: second[tt]=row[j]
                floor=row[order[-1]]
                sc[:]=floor
                for tt,v in best.items(): sc[tt]=v+alpha*(second.get(tt,floor)-floor)
            text=q.q
            rep=idx.pinyin.correct(text)
            lex=s.lexical.scores(text if rep==text else text+' '+rep)[:n]
            m=lex.max()
            f=sc+lexw*(lex/m if m>0 else lex)
            o=np.argsort(-f,kind='stable')
            top1+=o[0] in [s.position[g] for g in q.gold]
            top3+=any(x in [s.position[g] for g in q.gold] for x in o[:3])
        out[name]=(round(top1/len(ins),3), round(top3/len(ins),3))
    return out
allm=np.ones(len(P),bool)
targeted=np.array([p.kind=='question' and p.source=='list' and p.item_id.startswith(('basic','coop','returned')) and False for p in P])
import collections
# identify targeted via questions file style
styles={}
for l in open('/work/main/corpus/questions.jsonl'):
    d=json.loads(l); styles[(d['id'],d['q'])]=(d.get('style',''),d['source'])
tmask=np.array([not (p.kind=='question' and styles.get((p.item_id,p.text),('',''))[1]=='list' and styles.get((p.item_id,p.text),('',''))[0] in ('short','spoken','dialect','typo','voice')) for p in P])
lmask=np.array([not (p.kind=='question' and p.source=='life') for p in P])
#print('full', run(allm))
#print('no targeted', run(tmask))
#print('no life', run(lmask))
#for w in (0.0,0.025,0.1): print('lexw',w, run(allm, lexw=w))
#for a in (0.3,0.6,1.0): print('max+second',a, run(allm, agg='ms', alpha=a))
from bot.retrieval import lexical as L
import jieba, logging
tok=jieba.Tokenizer()
#for w in sorted(idx.synonyms.words()): tok.add_word(w)
def jieba_scores(text):
    toks=[t.strip() for t in tok.lcut_for_search(text.lower()) if L._keep(t.strip())]
    toks=[t for t in toks if t in s.lexical._row]
    sc=s.lexical._bm25(toks)
    extra=[t for term in idx.synonyms.official_terms(text) for t in [x.strip() for x in tok.lcut_for_search(term)] if t in s.lexical._row and t not in toks]
    if extra: sc=sc+0.25*s.lexical._bm25(list(dict.fromkeys(extra)))
    return sc
orig=s.lexical.scores
s.lexical.scores=jieba_scores
print('jieba query', run(allm))
print('jieba query ms0.6', run(allm, agg='ms', alpha=0.6))
s.lexical.scores=orig
