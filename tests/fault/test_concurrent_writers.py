"""Sixteen clients writing to one member at the same moment."""

import threading
from collections import Counter

import httpx
import pytest

from tests.fault.api_server import StartApi
from tests.fault.support import assert_problem, posts_in_log, posts_in_state, send, service_post

pytestmark = [pytest.mark.fault, pytest.mark.timeout(120)]

WRITERS, ROUNDS = 16, 3


def test_sixteen_writers_on_one_member_are_accepted_or_refused_with_409_and_the_state_is_the_accepted(
    private_database: str, county_token: str, start_api: StartApi
) -> None:  # fmt: skip
    api = start_api(private_database)
    before_log, before_state = posts_in_log(private_database), posts_in_state(private_database)
    answers: dict[str, httpx.Response] = {}
    start = threading.Barrier(WRITERS)

    def writer(n: int) -> None:
        start.wait()  # all sixteen let go at once, each round close behind the other
        for r in range(ROUNDS):
            post = f"writer{n}-round{r}"
            answers[post] = send(api.base, county_token, service_post(post), key=f"key-{post}")

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)

    assert len(answers) == WRITERS * ROUNDS
    accepted = Counter(post for post, a in answers.items() if a.status_code == 200)
    for answer in answers.values():
        if answer.status_code != 200:
            body = assert_problem(answer, 409, "concurrent_write")
            assert body["current_version"] >= 1
    assert accepted  # someone always wins
    assert posts_in_log(private_database) - before_log == accepted
    assert posts_in_state(private_database) - before_state == accepted
    versions = sorted(answers[post].json()["version"] for post in accepted)
    assert len(set(versions)) == len(versions)  # no two accepted writes on one version
