"""Reading and writing user files: one error naming the file, never half a file."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailzone.textfile import FileProblem, read_text, write_text


def test_utf8_with_or_without_a_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "list.txt"
    path.write_bytes("\ufeffexample.com\nbücher.example\n".encode())
    assert read_text(path, what="the list") == "example.com\nbücher.example\n"


def test_bytes_that_are_not_utf8_name_the_file_and_the_line(tmp_path: Path) -> None:
    path = tmp_path / "list.txt"
    path.write_bytes(b"example.com\nexample.org\n\xff\xfe\n")
    with pytest.raises(FileProblem) as problem:
        read_text(path, what="the list")
    assert str(problem.value) == (f"{path}: the list is not UTF-8 text (byte 0xff on line 3): "
                                  "save the file as UTF-8")


def test_missing_is_left_to_the_caller_and_a_directory_is_a_problem(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_text(tmp_path / "none.txt", what="the list")
    with pytest.raises(FileProblem, match="this is a directory"):
        read_text(tmp_path, what="the list")


def test_writes_are_whole_or_not_at_all(tmp_path: Path) -> None:
    target = tmp_path / "lock.json"
    target.write_text("old")
    write_text(target, "new", what="the lock")
    assert target.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["lock.json"]  # no temporary left
    with pytest.raises(FileProblem, match="cannot write the lock"):
        write_text(tmp_path / "missing" / "lock.json", "x", what="the lock")
    with pytest.raises(FileProblem, match="cannot write the lock"):
        write_text(tmp_path, "x", what="the lock")  # a directory cannot be replaced
    assert target.read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lock.json"]
