"""Import discovery follows solc's rules for source unit names."""

from __future__ import annotations

from pathlib import Path

import pytest

from microtask.chain.sources import SourceNotFound, SourceTree, collect_sources, imported_units


def test_relative_imports_resolve_against_the_importing_unit() -> None:
    text = 'import "../utils/Context.sol";\nimport {A} from "./A.sol";\n'
    assert imported_units("@oz/contracts/access/Ownable.sol", text) == [
        "@oz/contracts/utils/Context.sol",
        "@oz/contracts/access/A.sol",
    ]


def test_direct_imports_are_taken_as_written() -> None:
    text = 'import {X as Y, Z} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";'
    assert imported_units("contracts/T.sol", text) == [
        "@openzeppelin/contracts/token/ERC20/IERC20.sol"
    ]


def test_all_import_forms_are_found() -> None:
    text = (
        'import "a/One.sol";\n'
        "import 'a/Two.sol';\n"
        'import * as three from "a/Three.sol";\n'
        'import "a/Four.sol" as four;\n'
        "import {\n  Five,\n  Six\n} from 'a/Five.sol';\n"
    )
    assert imported_units("x.sol", text) == [
        "a/One.sol",
        "a/Two.sol",
        "a/Three.sol",
        "a/Four.sol",
        "a/Five.sol",
    ]


def test_commented_out_imports_are_ignored() -> None:
    text = '// import "a/Gone.sol";\n/* import "a/AlsoGone.sol"; */\nimport "a/Kept.sol";\n'
    assert imported_units("x.sol", text) == ["a/Kept.sol"]


def test_collect_follows_imports_through_node_modules(tmp_path: Path) -> None:
    (tmp_path / "contracts").mkdir()
    (tmp_path / "contracts" / "Main.sol").write_text('import "lib/pkg/A.sol";')
    library = tmp_path / "node_modules" / "lib" / "pkg"
    library.mkdir(parents=True)
    (library / "A.sol").write_text('import "./B.sol";')
    (library / "B.sol").write_text("// leaf")
    tree = SourceTree(tmp_path, tmp_path / "node_modules")
    sources = collect_sources(tree, ["contracts/Main.sol"])
    assert list(sources) == ["contracts/Main.sol", "lib/pkg/A.sol", "lib/pkg/B.sol"]
    assert sources["lib/pkg/B.sol"] == "// leaf"


def test_collect_reports_a_missing_file(tmp_path: Path) -> None:
    tree = SourceTree(tmp_path, tmp_path / "node_modules")
    with pytest.raises(SourceNotFound, match=r"Missing\.sol"):
        collect_sources(tree, ["contracts/Missing.sol"])
