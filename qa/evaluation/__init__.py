"""Evaluation harness: the eval set, the hit rule, metrics, runs, reports and the `qa eval` command.

dataset.py  eval/questions.jsonl -> EvalQuestion (gold quotes located in the corpus)
metrics.py  hit rule, ranking metrics (ir_measures), rates, per-style summaries
runner.py   run_eval(pipeline, questions) -> EvalReport, judging each AskResponse
report.py   eval/reports/<UTC timestamp>/{report.json, report.md, questions.jsonl}
gate.py     eval/thresholds.json against measured metrics
cli.py      the `qa eval` click command
"""
