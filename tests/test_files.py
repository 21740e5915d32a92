"""Files rewritten whole by several writers at once (kb.files): no writer trips over another's partial file."""
import threading

import pytest

from kb.files import replace_file


def test_writers_racing_on_one_file_each_finish_and_leave_one_whole_version(tmp_path):
    # a build and an editor's write both rewrite the index's user words; each must finish, and what is
    # left is one writer's text, whole, with no partial file beside it
    path = tmp_path / "index" / "words.txt"
    texts = [f"{'词语' * 500}{n}\n" for n in range(4)]
    errors: list[BaseException] = []
    start = threading.Barrier(len(texts))

    def write(text: str) -> None:
        start.wait()
        try:
            for _ in range(200):
                replace_file(path, text)
        except BaseException as error:  # noqa: BLE001 (reported below, with the writer's text)
            errors.append(error)

    threads = [threading.Thread(target=write, args=(t,)) for t in texts]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert path.read_text(encoding="utf-8") in texts
    assert [p.name for p in path.parent.iterdir()] == ["words.txt"]
    assert path.stat().st_mode & 0o777 == 0o644


def test_bytes_are_written_as_given_and_a_failed_write_leaves_the_old_file(tmp_path):
    path = tmp_path / "cache.pickle"
    replace_file(path, b"\x80\x04old")
    assert path.read_bytes() == b"\x80\x04old"

    with pytest.raises(UnicodeEncodeError):
        replace_file(path, "半个\ud800")  # a lone surrogate cannot be encoded: nothing is replaced
    assert path.read_bytes() == b"\x80\x04old"
    assert [p.name for p in tmp_path.iterdir()] == ["cache.pickle"]
