"""Baseline extractors shipped with eventgold.

- `rules`: gazetteer (`gazetteer.yaml`) and trigger-word rules on a blank spaCy tokenizer;
- `trained`: spaCy NER + scikit-learn relation classifier, trained in-process from gold;
- `registry`: `load_extractor("rules" | model folder | "module:function")` and prediction;
- `gold`: reading gold from a JSONL file, a gold folder or a folder of per-document JSON.
"""
