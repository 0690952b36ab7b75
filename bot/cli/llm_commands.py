"""``newsdesk doctor``: does the configured model endpoint answer, with which model, in how many ms."""

from __future__ import annotations

import time

import click

from bot.cli.common import desk_of, print_json


@click.command()
@click.option("--json", "json_", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def doctor(ctx: click.Context, json_: bool) -> None:
    """Check that the model set by NEWSDESK_LLM_PROVIDER answers (exit 1 if it does not).

    \b
    Example:
      NEWSDESK_LLM_PROVIDER=ollama NEWSDESK_LLM_MODEL=llama3.1 newsdesk doctor
    """
    from bot.answering.generative import LangChainClient, describe_failure, within_deadline

    settings = desk_of(ctx).settings
    result: dict[str, object] = {"provider": settings.llm_provider, "model": settings.llm_model,
                                 "base_url": settings.llm_base_url, "ok": None, "ms": None, "error": None}
    if settings.llm_provider == "none":
        result["error"] = "no model configured (NEWSDESK_LLM_PROVIDER=none): answers quote the articles"
    else:
        started = time.monotonic()
        try:
            client = LangChainClient(settings)
            within_deadline(settings.llm_timeout * 1.5 + 1,
                            lambda: client.complete("Reply with the single word OK.", "Are you there?"))
            result["ok"] = True
        except Exception as error:
            result["ok"], result["error"] = False, describe_failure(error)
        result["ms"] = round((time.monotonic() - started) * 1000)
    if json_:
        print_json(result)
    elif result["ok"]:
        click.echo(f"{settings.llm_provider} model {settings.llm_model} at {settings.llm_base_url or 'the default URL'}"
                   f" answered in {result['ms']} ms")
    else:
        click.echo(f"model check failed: {result['error']}", err=True)
    if not result["ok"]:
        ctx.exit(1)
