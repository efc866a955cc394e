"""The OpenAI-compatible HTTP provider against a real local HTTP server."""

from __future__ import annotations

import socket

import pytest

from assistant import AssistantError, AssistantTimeout, get_assistant
from assistant.http import BAD_ANSWER_MESSAGE, TIMEOUT_MESSAGE, UNREACHABLE_MESSAGE, HTTPAssistant
from assistant.offline import OfflineAssistant

MESSAGES = [{"role": "user", "content": "Our onboarding is slow."}]


def provider(url: str, timeout: float = 5) -> HTTPAssistant:
    return HTTPAssistant(base_url=url, api_key="test-key", model="test-model", timeout=timeout)


def test_a_reply_sends_the_context_and_returns_the_answer(fake_api):
    fake_api.answer("  Who is affected most?  ")
    answer = provider(fake_api.url + "/").reply(MESSAGES, "Step: Challenge")
    assert answer == "Who is affected most?"
    [request] = fake_api.requests
    assert request["path"] == "/v1/chat/completions"
    assert request["headers"]["Authorization"] == "Bearer test-key"
    body = request["body"]
    assert body["model"] == "test-model"
    assert body["messages"][0]["role"] == "system"
    assert body["messages"][0]["content"].endswith("Step: Challenge")
    assert body["messages"][1:] == MESSAGES


def test_summaries_and_artifacts_come_back_parsed(fake_api):
    fake_api.answer("A short summary.")
    assert provider(fake_api.url).summarize(MESSAGES) == "A short summary."
    fake_api.answer('```json\n{"ideas": [{"title": "Buddy"}]}\n```')
    artifact = provider(fake_api.url).extract_artifact(MESSAGES, {"type": "object"})
    assert artifact == {"ideas": [{"title": "Buddy"}]}
    assert fake_api.requests[-1]["body"]["response_format"] == {"type": "json_object"}


def test_a_slow_server_times_out_with_a_clear_message(fake_api):
    fake_api.respond = lambda handler: fake_api.release.wait(10)
    with pytest.raises(AssistantTimeout, match=TIMEOUT_MESSAGE):
        provider(fake_api.url, timeout=0.3).reply(MESSAGES, "")


def test_the_timeout_comes_from_the_setting(fake_api, settings):
    settings.ASSISTANT_BASE_URL = fake_api.url
    settings.ASSISTANT_TIMEOUT_SECONDS = 0.3
    fake_api.respond = lambda handler: fake_api.release.wait(10)
    assistant = get_assistant()
    assert assistant.timeout == 0.3
    with pytest.raises(AssistantTimeout):
        assistant.reply(MESSAGES, "")


def test_an_http_500_is_an_assistant_error(fake_api):
    fake_api.answer_raw('{"error": "boom"}', status=500)
    with pytest.raises(AssistantError, match=r"HTTP 500"):
        provider(fake_api.url).reply(MESSAGES, "")


@pytest.mark.parametrize(
    "body",
    [
        "this is not json",
        '{"choices": []}',
        '{"no_choices": true}',
        '{"choices": [{"message": {"content": ""}}]}',
        '{"choices": [{"message": {"content": 42}}]}',
        b"\xff\xfe not utf-8",
    ],
)
def test_a_malformed_body_is_an_assistant_error(fake_api, body):
    fake_api.answer_raw(body)
    with pytest.raises(AssistantError, match=BAD_ANSWER_MESSAGE):
        provider(fake_api.url).reply(MESSAGES, "")


def test_an_artifact_that_is_not_an_object_is_refused(fake_api):
    fake_api.answer('["a", "list"]')
    with pytest.raises(AssistantError, match=BAD_ANSWER_MESSAGE):
        provider(fake_api.url).extract_artifact(MESSAGES, {"type": "object"})


def test_a_body_cut_short_is_an_assistant_error(fake_api):
    def respond(handler):
        handler.send_response(200)
        handler.send_header("Content-Length", "1000")
        handler.end_headers()
        handler.wfile.write(b'{"choices": [')
        handler.close_connection = True

    fake_api.respond = respond
    with pytest.raises(AssistantError):
        provider(fake_api.url).reply(MESSAGES, "")


def test_a_server_that_does_not_speak_http_is_an_assistant_error(fake_api):
    def respond(handler):
        handler.wfile.write(b"GARBAGE\r\n\r\n")
        handler.close_connection = True

    fake_api.respond = respond
    with pytest.raises(AssistantError):
        provider(fake_api.url).reply(MESSAGES, "")


def test_an_unreachable_server_is_an_assistant_error():
    with socket.socket() as sock:  # a port that was free a moment ago: nobody listens
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(AssistantError, match=UNREACHABLE_MESSAGE):
        provider(f"http://127.0.0.1:{port}/v1").reply(MESSAGES, "")


def test_the_offline_provider_is_the_default(settings):
    settings.ASSISTANT_BASE_URL = ""
    assistant = get_assistant()
    assert isinstance(assistant, OfflineAssistant)
    assert assistant.offline
