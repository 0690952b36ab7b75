"""``newsdesk eval multihop`` through a real ``chroma run`` (#14): with NEWSDESK_CHROMA_URL set, the eval corpus
goes into its own collection on the server (``eval_multihop_<hash>``), never into the user's collection and never
into an on-disk store.

The corpus is tests/data/eval_corpus.json (4 invented one-chunk articles) and the first 2 of its queries, so the
whole run embeds 4 short texts.
"""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from bot.cli.app import cli
from bot.evaluation.multihop import EVAL_COLLECTION_PREFIX, EVAL_DIR
from bot.service import Newsdesk
from bot.settings import BotSettings
from ingest.store import opened_client

DATA = Path(__file__).parent / "data"
CORPUS, QUERIES = DATA / "eval_corpus.json", DATA / "eval_queries.json"


def test_eval_uses_its_own_collection_on_the_server(server_settings: BotSettings) -> None:
    assert server_settings.chroma_url
    env = {"NEWSDESK_CHROMA_URL": server_settings.chroma_url, "NEWSDESK_DATA_DIR": str(server_settings.data_dir),
           "NEWSDESK_CHUNK_OVERLAP": str(server_settings.chunk_overlap)}
    result = CliRunner().invoke(cli, ["eval", "multihop", "--corpus", str(CORPUS), "--queries", str(QUERIES),
                                      "--limit", "2", "--json", "--quiet"], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["n_queries"] == 2 and report["hits@10"] == 1.0, report

    eval_name = Newsdesk(server_settings, collection_prefix=EVAL_COLLECTION_PREFIX).collection_name
    user_name = Newsdesk(server_settings).collection_name
    assert eval_name.startswith(f"{EVAL_COLLECTION_PREFIX}_") and eval_name != user_name
    with opened_client(server_settings) as client:
        names = {collection.name for collection in client.list_collections()}
        assert {eval_name, f"{eval_name}_articles"} <= names, f"the eval collection is on the server: {names}"
        assert client.get_collection(f"{eval_name}_articles").count() == 4
    assert report["settings"]["eval_store"] == f"{eval_name} on {server_settings.chroma_url}", report["settings"]
    assert not (server_settings.data_dir / EVAL_DIR / "chroma").exists(), "no on-disk store beside the server"

    listed = CliRunner().invoke(cli, ["sources", "--json"], env=env, catch_exceptions=False)
    assert listed.exit_code == 0 and json.loads(listed.stdout) == [], "the user's collection got none of the corpus"
    again = CliRunner().invoke(cli, ["eval", "multihop", "--corpus", str(CORPUS), "--queries", str(QUERIES),
                                     "--limit", "2", "--json", "--quiet"], env=env, catch_exceptions=False)
    assert json.loads(again.stdout)["settings"]["collection"]["unchanged"] == 4, "a second run reuses it"
