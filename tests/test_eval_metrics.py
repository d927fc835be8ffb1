"""The hit rule, ranks, metric aggregation and the gate message, on hand-made rankings."""

from __future__ import annotations

import doctest
import json

import pytest
from click.testing import CliRunner

from qa.evaluation import cli, dataset, gate, metrics, report
from qa.evaluation.dataset import EvalQuestion, Gold, load_questions
from qa.evaluation.gate import Thresholds, gate_failures
from qa.evaluation.metrics import (
    QuestionResult,
    answers,
    covered,
    first_hit,
    normalise_section,
    ranking_scores,
    summarise,
)
from qa.evaluation.runner import EvalReport, ModeRun, judge, run_eval
from qa.schema import AskResponse, PassageOut, RetrieverScores
from qa.settings import Settings
from qa.types import Answer, Chunk, Hit, Passage

GOLD = Gold("a.txt", "x" * 100, "Growing ties?", spans=((1000, 1100),))


@pytest.mark.parametrize("module", [metrics, dataset, gate, report, cli])
def test_docstring_examples_hold(module):
    result = doctest.testmod(module)
    assert result.failed == 0


def test_passage_covering_half_the_quote_answers_it():
    assert answers("a.txt", [(1050, 1400)], GOLD)
    assert answers("a.txt", [(900, 1020), (1070, 1100)], GOLD)  # two pieces: 20 + 30 chars


def test_passage_covering_less_than_half_does_not_answer():
    assert not answers("a.txt", [(1051, 1400)], GOLD)
    assert not answers("a.txt", [(0, 999)], GOLD)


def test_passage_from_another_document_never_answers():
    assert not answers("b.txt", [(0, 5000)], GOLD)


def test_overlapping_passage_spans_are_not_counted_twice():
    assert covered([(1000, 1040), (1000, 1040)], (1000, 1100)) == 40
    assert not answers("a.txt", [(1000, 1040), (1010, 1040)], GOLD)


def test_any_occurrence_of_a_repeated_quote_counts():
    gold = Gold("a.txt", "x" * 100, "S", spans=((0, 100), (500, 600)))
    assert answers("a.txt", [(520, 700)], gold)


def test_first_hit_rank_is_one_based_and_names_the_gold_item_hit():
    other = Gold("b.txt", "y" * 40, "Other", spans=((0, 40),))
    ranked = [("a.txt", [(0, 10)]), ("b.txt", [(0, 40)]), ("a.txt", [(1000, 1100)])]
    assert first_hit(ranked, [GOLD, other]) == (2, other)
    assert first_hit(ranked[:1], [GOLD, other]) is None


def test_section_names_compare_without_markup_or_extra_whitespace():
    assert normalise_section("### *Growing*\n  ties?") == normalise_section("Growing ties?")
    assert normalise_section("Growing ties") != normalise_section("Growing ties?")


def test_ranking_scores_match_hand_computed_values():
    scores = ranking_scores({"top": [True], "third": [False, False, True], "miss": [False] * 10})
    assert scores["top"] == {
        "R@1": 1.0,
        "R@3": 1.0,
        "R@5": 1.0,
        "R@10": 1.0,
        "MRR@10": 1.0,
        "nDCG@10": 1.0,
    }
    assert scores["third"]["R@1"] == 0.0 and scores["third"]["R@3"] == 1.0
    assert scores["third"]["MRR@10"] == pytest.approx(1 / 3)
    assert scores["third"]["nDCG@10"] == pytest.approx(0.5)  # 1/log2(4)
    assert set(scores["miss"].values()) == {0.0}


def test_hit_beyond_ten_counts_for_nothing_at_ten():
    scores = ranking_scores({"q": [False] * 10 + [True]})
    assert scores["q"]["R@10"] == 0.0 and scores["q"]["MRR@10"] == 0.0


def test_question_with_no_passages_scores_zero():
    assert set(ranking_scores({"q": []})["q"].values()) == {0.0}


def result(qid, style, relevant, **kw):
    defaults = dict(
        type="fact",
        answerable=True,
        section_ok=None,
        highlight_ok=None,
        citations_ok=1,
        citations_total=1,
        abstained=False,
        confidence=0.9,
        latency_ms=10.0,
    )
    return QuestionResult(qid, style, relevant=tuple(relevant), **{**defaults, **kw})


def test_summary_aggregates_overall_and_by_style():
    results = [
        result("p1", "paraphrase", [True], section_ok=True, highlight_ok=True, latency_ms=10),
        result(
            "p2",
            "paraphrase",
            [False, False, False, True],
            section_ok=False,
            highlight_ok=True,
            latency_ms=20,
        ),
        result("k1", "keyword", [False] * 5, citations_ok=3, citations_total=4, latency_ms=30),
        result("u1", "keyword", [False], answerable=False, abstained=True, latency_ms=40),
        result("u2", "close", [False], answerable=False, abstained=False, latency_ms=50),
    ]
    summary = summarise(results)
    assert list(summary) == ["overall", "paraphrase", "keyword", "close"]
    overall = summary["overall"]
    assert overall["questions"] == 5 and overall["answerable"] == 3
    assert overall["R@1"] == pytest.approx(1 / 3)
    assert overall["R@5"] == pytest.approx(2 / 3)
    assert overall["MRR@10"] == pytest.approx((1 + 1 / 4) / 3)
    assert overall["section_accuracy"] == 0.5
    assert overall["highlight_accuracy"] == 1.0
    assert overall["citation_fidelity"] == pytest.approx(7 / 8)
    assert overall["abstain_unanswerable"] == 0.5
    assert overall["abstain_answerable"] == 0.0
    assert overall["latency_p50_ms"] == 30.0
    assert summary["paraphrase"]["R@1"] == 0.5 and summary["paraphrase"]["R@5"] == 1.0
    assert summary["keyword"]["R@10"] == 0.0
    assert summary["keyword"]["abstain_unanswerable"] == 1.0
    assert summary["close"]["R@5"] is None  # no answerable close question: undefined, not 0


def passage(rank, doc_id, spans, section, highlights=()):
    return PassageOut(
        rank=rank,
        score=1.0 / rank,
        doc_id=doc_id,
        title="T",
        authors=[],
        date=None,
        section=section,
        section_path=[section],
        text="...",
        start=spans[0][0],
        end=spans[-1][1],
        spans=spans,
        highlights=list(highlights),
        scores=RetrieverScores(),
        chunk_id=f"{doc_id}#{rank}",
    )


def test_judge_reads_section_and_highlight_from_the_first_answering_passage():
    question = EvalQuestion("q", "Q?", "close", "fact", (GOLD,), line=1)
    response = AskResponse(
        question="Q?",
        passages=[
            passage(1, "b.txt", [(0, 500)], "Elsewhere"),
            passage(2, "a.txt", [(950, 1300)], "**Growing ties?**", highlights=[(1090, 1120)]),
            passage(3, "a.txt", [(1000, 1100)], "Wrong"),
        ],
        abstained=False,
        confidence=0.8,
        timings_ms={},
    )
    judged = judge(question, response, latency_ms=5.0, citations=[True, True, False])
    assert judged.relevant == (False, True, True) and judged.rank == 2
    assert judged.section_ok is True and judged.highlight_ok is True
    assert (judged.citations_ok, judged.citations_total) == (2, 3)


def test_judge_checks_the_page_of_the_first_answering_passage_when_the_gold_names_one():
    paged = Gold("a.pdf", "q" * 40, "Intro", spans=((1000, 1040),), page=3)

    def judged(page_start, page_end):
        response = AskResponse(
            question="Q?",
            passages=[passage(1, "a.pdf", [(990, 1100)], "Intro")],
            abstained=False,
            confidence=0.8,
            timings_ms={},
        )
        response.passages[0].page_start, response.passages[0].page_end = page_start, page_end
        question = EvalQuestion("q", "Q?", "close", "fact", (paged,), line=1)
        return judge(question, response, latency_ms=1.0, citations=[True]).page_ok

    assert judged(3, 3) is True and judged(2, 4) is True
    assert judged(4, 4) is False and judged(None, None) is False
    unpaged = EvalQuestion("q", "Q?", "close", "fact", (GOLD,), line=1)
    response = AskResponse(
        question="Q?",
        passages=[passage(1, "a.txt", [(950, 1300)], "Intro")],
        abstained=False,
        confidence=0.8,
        timings_ms={},
    )
    assert judge(unpaged, response, latency_ms=1.0, citations=[True]).page_ok is None


def test_gate_names_each_metric_below_threshold_and_the_gap():
    thresholds = Thresholds(min={"R@5": 0.85, "MRR@10": 0.6, "citation_fidelity": 1.0})
    failures = gate_failures({"R@5": 0.812, "MRR@10": 0.61, "citation_fidelity": None}, thresholds)
    assert failures == [
        "R@5 0.812 < 0.850 (gap 0.038)",
        "citation_fidelity not measured (needs >= 1.000)",
    ]


def test_shipped_thresholds_file_is_valid_and_gates_hybrid():
    thresholds = gate.load_thresholds()
    assert thresholds.mode == "hybrid"
    assert thresholds.min["citation_fidelity"] == 1.0
    assert {"R@5", "MRR@10", "section_accuracy"} <= set(thresholds.min)


def test_report_files_are_written_under_the_given_folder(tmp_path):
    from datetime import UTC, datetime

    run = ModeRun(
        "hybrid",
        (result("p1", "paraphrase", [True]),),
        summarise([result("p1", "paraphrase", [True])]),
    )
    folder = report.write_report(
        EvalReport(datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC), 10, (run,)), tmp_path
    )
    assert folder == tmp_path / "20250102T030405Z"
    data = json.loads((folder / "report.json").read_text())
    assert data["modes"]["hybrid"]["overall"]["R@1"] == 1.0
    assert "| overall |" in (folder / "report.md").read_text()
    row = json.loads((folder / "questions.jsonl").read_text().splitlines()[0])
    assert row["id"] == "p1" and row["rank"] == 1


class StubPipeline:
    """Answers every question with the same two chunks of a two-paragraph document."""

    def __init__(self, settings, *, abstain_on=""):
        from qa.corpus.spans import text_from_spans

        self.settings = settings
        self.abstain_on = abstain_on
        source = (settings.corpus_dir / "a.txt").read_text(encoding="utf-8")
        self.chunks = []
        for i, (start, end) in enumerate([(0, 60), (62, len(source))], start=1):
            self.chunks.append(
                Chunk(
                    chunk_id=f"a.txt#s/{i}",
                    doc_id="a.txt",
                    title="A",
                    authors=(),
                    date=None,
                    section_path=("Second" if i == 2 else "First",),
                    spans=((start, end),),
                    text=text_from_spans(source, [(start, end)]),
                )
            )

    def ask(self, question, k=5, mode="hybrid"):
        passages = tuple(
            Passage(rank, Hit(chunk, 1.0 / rank), highlights=((chunk.start, chunk.start + 5),))
            for rank, chunk in enumerate(self.chunks[:k], start=1)
        )
        abstained = question == self.abstain_on
        return Answer(question, passages, abstained, 0.2 if abstained else 0.9, {"total": 1.0})


FIRST = "The first paragraph talks about nothing in particular at all."
SECOND = "The second paragraph holds the answer: the treaty was signed in 2001."


@pytest.fixture
def tiny_eval(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text(FIRST[:60] + "\n\n" + SECOND + "\n", encoding="utf-8")
    rows = [
        {
            "id": "q1",
            "question": "When was the treaty signed?",
            "gold": [{"doc": "a.txt", "quote": SECOND, "section": "Second"}],
            "style": "paraphrase",
            "type": "date",
        },
        {"id": "q2", "question": "Who won?", "gold": [], "style": "close", "type": "none"},
    ]
    path = tmp_path / "questions.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path, Settings(corpus_dir=corpus, index_dir=tmp_path / "index")


def test_run_eval_judges_what_users_get_in_every_mode(tiny_eval):
    path, settings = tiny_eval
    questions = load_questions(path, settings.corpus_dir)
    pipeline = StubPipeline(settings, abstain_on="Who won?")
    result = run_eval(pipeline, questions, modes=("hybrid", "bm25"), k=10)
    assert [r.mode for r in result.runs] == ["hybrid", "bm25"]
    overall = result.run("bm25").metrics["overall"]
    assert overall["R@1"] == 0.0 and overall["R@3"] == 1.0 and overall["MRR@10"] == 0.5
    assert overall["section_accuracy"] == 1.0 and overall["highlight_accuracy"] == 1.0
    assert overall["citation_fidelity"] == 1.0
    assert overall["abstain_unanswerable"] == 1.0 and overall["abstain_answerable"] == 0.0


def test_eval_command_writes_report_prints_json_and_gates(tiny_eval, tmp_path, monkeypatch):
    import qa.pipeline

    path, settings = tiny_eval
    monkeypatch.setattr(qa.pipeline.Pipeline, "open", lambda s, **kw: StubPipeline(s))
    strict = tmp_path / "thresholds.json"
    strict.write_text(json.dumps({"mode": "hybrid", "min": {"R@1": 0.9, "R@3": 0.5}}))
    monkeypatch.setattr(gate, "THRESHOLDS_PATH", strict)
    out = tmp_path / "reports"
    args = ["--questions", str(path), "--out", str(out), "--json", "--gate", "--mode", "all"]

    ran = CliRunner().invoke(cli.eval_command, args, obj={"settings": settings})

    assert ran.exit_code == 1, ran.output
    data = json.loads(ran.stdout)
    assert list(data["modes"]) == ["hybrid", "dense", "bm25"]
    assert data["modes"]["hybrid"]["overall"]["R@3"] == 1.0
    assert "R@1 0.000 < 0.900 (gap 0.900)" in ran.stderr
    assert "R@3" not in ran.stderr
    [folder] = out.iterdir()
    assert {p.name for p in folder.iterdir()} == {"report.json", "report.md", "questions.jsonl"}
    assert len((folder / "questions.jsonl").read_text().splitlines()) == 6  # 2 questions x 3 modes


def test_gate_on_a_mode_not_run_is_a_usage_error(tiny_eval):
    path, settings = tiny_eval
    args = ["--questions", str(path), "--gate", "--mode", "bm25"]
    ran = CliRunner().invoke(cli.eval_command, args, obj={"settings": settings})
    assert ran.exit_code == 2 and "add --mode hybrid" in ran.output
