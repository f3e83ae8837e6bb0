"""One model owner: 429 with Retry-After under a full queue, a client that disconnects cancels
its generation, the editor's requests go before queued server requests, and a bounded load test
(8 clients at once: each request answered or refused with 429, none hangs, the server stays up)."""

from __future__ import annotations

import http.client
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import openai
from served import RunningServer, StartServer

from penwright.models.params import GenerationParams, StopMode
from penwright.models.serving.config import ServeConfig, ServeLimits
from penwright.models.serving.jobs import CompletionJob, Finished, JobEvent, Priority


def post(server: RunningServer, body: dict) -> tuple[int, dict, dict[str, str]]:
    connection = http.client.HTTPConnection("127.0.0.1", server.http.port, timeout=60)
    try:
        connection.request(
            "POST", "/v1/completions", json.dumps(body), {"Content-Type": "application/json"}
        )
        answer = connection.getresponse()
        return answer.status, json.loads(answer.read()), dict(answer.headers)
    finally:
        connection.close()


def test_a_full_queue_answers_429_with_retry_after(start_server: StartServer) -> None:
    server = start_server(ServeConfig(limits=ServeLimits(queue_size=1)))
    server.engine.gate.clear()  # the first request holds the model
    with ThreadPoolExecutor(2) as pool:
        running = pool.submit(post, server, {"prompt": "one", "max_tokens": 3})
        assert server.engine.reached.acquire(timeout=30)
        waiting = pool.submit(post, server, {"prompt": "two", "max_tokens": 3})
        while len(server.queue) < 1:
            time.sleep(0.01)
        status, answer, headers = post(server, {"prompt": "three", "max_tokens": 3})
        assert status == 429
        assert "busy" in answer["error"]["message"]
        assert int(headers["retry-after"]) >= 1
        server.engine.gate.set()
        assert running.result(60)[0] == 200 and waiting.result(60)[0] == 200
    assert server.engine.contexts == ["one", "two"]


def test_a_client_that_disconnects_mid_stream_cancels_its_generation(
    server: RunningServer,
) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", server.http.port, timeout=60)
    body = {"prompt": "Far away", "max_tokens": 1000, "stream": True, "temperature": 1.0}
    connection.request(
        "POST", "/v1/completions", json.dumps(body), {"Content-Type": "application/json"}
    )
    answer = connection.getresponse()
    assert answer.status == 200
    assert answer.readline().startswith(b"data: ")
    cancelled = server.engine.cancel_events[0]
    assert not cancelled.is_set()
    connection.sock.close()  # type: ignore[union-attr]  # the client goes away mid-stream
    connection.close()
    assert cancelled.wait(30)
    assert server.engine.ended_one.acquire(timeout=30)
    stats = server.engine.ended[0]
    assert stats.stop_reason == "cancelled" and stats.new_tokens < 1000
    # The owner is free again for the next request.
    status, _, _ = post(server, {"prompt": "next", "max_tokens": 2})
    assert status == 200
    assert server.engine.contexts == ["Far away", "next"]


def test_closing_an_openai_stream_cancels_its_generation(server: RunningServer) -> None:
    api = openai.OpenAI(base_url=server.url + "/v1", api_key="none", max_retries=0)
    stream = api.completions.create(
        model="tiny", prompt="Far away", max_tokens=1000, temperature=1.0, stream=True
    )
    next(iter(stream))
    stream.close()
    assert server.engine.cancel_events[0].wait(30)
    assert server.engine.ended_one.acquire(timeout=30)
    assert server.engine.ended[0].stop_reason == "cancelled"


def test_a_request_cancelled_while_queued_never_reaches_the_model(
    server: RunningServer,
) -> None:
    params = GenerationParams(max_new_tokens=2, stop=StopMode.NONE).plain()
    server.engine.gate.clear()
    running = _job("running", params)
    server.queue.submit(running)
    assert server.engine.reached.acquire(timeout=30)
    given_up = _job("given up", params)
    server.queue.submit(given_up)
    given_up.cancelled.set()
    server.engine.gate.set()
    assert running.finished.wait(30) and given_up.finished.wait(30)
    assert server.engine.contexts == ["running"]


class _RecordedJob(CompletionJob):
    finished: threading.Event


def _job(context: str, params: GenerationParams) -> _RecordedJob:
    finished = threading.Event()

    def sink(event: JobEvent) -> None:
        if isinstance(event, Finished):
            finished.set()

    job = _RecordedJob(context, params, sink)
    job.finished = finished
    return job


def test_the_editors_requests_go_before_queued_server_requests(server: RunningServer) -> None:
    params = GenerationParams(max_new_tokens=2, stop=StopMode.NONE).plain()
    server.engine.gate.clear()
    running = _job("running", params)
    server.queue.submit(running)
    assert server.engine.reached.acquire(timeout=30)
    server_jobs = [_job(f"server {i}", params) for i in range(3)]
    for job in server_jobs:
        server.queue.submit(job)
    editor = _job("editor", params)
    server.queue.submit(editor, Priority.EDITOR)
    server.engine.gate.set()
    for job in [running, editor, *server_jobs]:
        assert job.finished.wait(30)
    assert server.engine.contexts == ["running", "editor", "server 0", "server 1", "server 2"]


def test_eight_clients_at_once_are_each_answered_or_refused(start_server: StartServer) -> None:
    server = start_server(ServeConfig(limits=ServeLimits(queue_size=4)))
    threads_before = threading.active_count()
    statuses: list[int] = []
    lock = threading.Lock()
    ends = time.monotonic() + 20

    def client(number: int) -> None:
        api = openai.OpenAI(base_url=server.url + "/v1", api_key="none", max_retries=0, timeout=60)
        while time.monotonic() < ends:
            try:
                if number % 2:
                    chunks = api.completions.create(
                        model="tiny", prompt=f"Client {number}", max_tokens=16, stream=True
                    )
                    for _ in chunks:
                        pass
                else:
                    api.completions.create(model="tiny", prompt=f"Client {number}", max_tokens=16)
                status = 200
            except openai.RateLimitError:
                status = 429
            with lock:
                statuses.append(status)

    with ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(client, number) for number in range(8)]
        for future in futures:
            future.result(timeout=120)  # none hangs; any other error fails the test here
    assert statuses and set(statuses) <= {200, 429}
    assert 200 in statuses
    assert server.queue.served == statuses.count(200)
    # Flat afterwards: no job is kept and no request leaves a thread behind (a thread, a cache or
    # a stream kept per request is how a long-running server's memory grows).
    assert len(server.queue) == 0
    settle = time.monotonic() + 30
    while threading.active_count() > threads_before and time.monotonic() < settle:
        time.sleep(0.05)
    assert threading.active_count() <= threads_before, threading.enumerate()
    status, _, _ = post(server, {"prompt": "still up", "max_tokens": 2})
    assert status == 200
