import sys, json, numpy as np
sys.path.insert(0,'/work/main')
from bot.settings import Settings
from bot.retrieval.opening import open_searcher
from bot.retrieval.question import prepare
s=open_searcher(Settings.from_env())
m=s.index.emergency
def probs(path):
    rows=[json.loads(l) for l in open(path)]
    out=[]
    for r in rows:
        t=prepare(r['q'],200).text
        v=s.embedder.embed_queries([s.index.pinyin.correct(t)])[0]
        out.append((m.probability(v,t), bool(r.get('emergency')), r['q']))
    return out
E=probs('/work/shared/eval/emergency-dev.jsonl'); L=probs('/work/shared/eval/life-dev.jsonl')
for th in (0.5,0.6,0.7,0.8,0.9,0.95):
    er=np.mean([p>=th for p,e,_ in E if e]); ef=np.mean([p>=th for p,e,_ in E if not e])
    lr=np.mean([p>=th for p,e,_ in L if e]); lf=np.mean([p>=th for p,e,_ in L if not e])
    print(th, 'emdev recall %.2f fa %.2f | life recall %.2f fa %.3f'%(er,ef,lr,lf))
print('life emergencies:', [(round(p,2),q) for p,e,q in L if e])
print('life false alarms @0.5:', sorted([(round(p,2),q[:40]) for p,e,q in L if not e and p>=0.5], reverse=True)[:12])
print('emdev misses @0.5:', [(round(p,2),q[:40]) for p,e,q in E if e and p<0.5])
print('emdev fa @0.5:', [(round(p,2),q[:40]) for p,e,q in E if not e and p>=0.5])
