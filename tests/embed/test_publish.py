"""Publishing a converted or exported model folder: one rename, never over a finished one."""
from rag.embed.convert import publish_folder


def _folder(path, name):
    path.mkdir()
    (path / name).write_text("x")
    return path


def test_the_finished_folder_is_moved_into_place(tmp_path):
    tmp, dest = _folder(tmp_path / ".tmp", "model.onnx"), tmp_path / "int8"
    assert publish_folder(tmp, dest, lambda: (dest / "model.onnx").is_file()) == dest
    assert (dest / "model.onnx").is_file() and not tmp.exists()


def test_debris_of_a_killed_run_is_replaced(tmp_path):
    dest = _folder(tmp_path / "int8", "half-written")
    tmp = _folder(tmp_path / ".tmp", "model.onnx")
    publish_folder(tmp, dest, lambda: (dest / "model.onnx").is_file())
    assert sorted(p.name for p in dest.iterdir()) == ["model.onnx"]


def test_a_folder_another_process_finished_is_kept(tmp_path):
    dest = _folder(tmp_path / "int8", "model.onnx")
    (dest / "theirs").write_text("y")
    tmp = _folder(tmp_path / ".tmp", "model.onnx")
    publish_folder(tmp, dest, lambda: (dest / "model.onnx").is_file())
    assert (dest / "theirs").is_file() and not tmp.exists()
