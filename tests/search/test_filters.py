"""Filters read their dates with the one parser and refuse what cannot be read."""
import pytest

from rag.search import Filters
from rag.text.dates import DateError


def test_filters_store_iso_dates():
    f = Filters(date_from="2024/1/1", date_to="2024年1月31日")
    assert (f.date_from, f.date_to) == ("2024-01-01", "2024-01-31") and f
    assert not Filters() and Filters(date_from="二〇二四年一月") .date_from == "2024-01"


@pytest.mark.parametrize("kw,match", [({"date_from": "garbage"}, "accepted forms"),
                                      ({"date_to": "昨天"}, "relative"),
                                      ({"date_from": "2024-02-01", "date_to": "2024-01-01"}, "before the start")])
def test_bad_dates_are_errors(kw, match):
    with pytest.raises(DateError, match=match):
        Filters(**kw)


@pytest.mark.parametrize("argv,match", [
    (["search", "项目", "--date-from", "garbage"], "accepted forms: 2024-01-05, 2024/1/5"),
    (["ask", "项目", "--date-from", "2024/2/1", "--date-to", "2024-01-31"], "before the start date"),
])
def test_cli_refuses_bad_dates_before_loading_anything(argv, match, capsys, tmp_path):
    from rag.cli import main

    assert main(argv + ["--index", str(tmp_path / "no-index")]) == 2
    assert match in capsys.readouterr().err
