"""The Markdown and HTML readers, at the level of blocks: one hand-made fixture per rule."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from corpus.errors import UnreadableDocument
from corpus.html import html_blocks, read_html
from corpus.markdown import read_markdown
from corpus.raw import HEADING, LIST_ITEM, NOTE, PARAGRAPH, TABLE_HEADER, TABLE_ROW

MINING_POLICY = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "mining-policy"
HTML_TAG = re.compile(r"<[a-zA-Z/!][^>]*>")
HEADING_MARK = re.compile(r"^#+\s", re.MULTILINE)


def md(tmp_path: Path, text: str, name: str = "doc.md"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return next(read_markdown(path))


def page(tmp_path: Path, text: str):
    path = tmp_path / "page.html"
    path.write_text(text, encoding="utf-8")
    return next(read_html(path))


def pairs(blocks):
    return [(b.kind, b.text) for b in blocks]


def texts(blocks):
    return [b.text for b in blocks]


# ---- Markdown: front matter, templates, comments


def test_front_matter_with_a_folded_title_becomes_meta_and_leaves_the_text(tmp_path):
    doc = md(
        tmp_path,
        "---\ntitle: Easing the collection of high quality beneficial ownership information in resource\n"
        "  rich countries\ndate: 2021-01-26 15:36:00 Z\nauthors:\n- Kadie Armstrong\n- Christina Berger\n"
        "tags:\n- EITI\n---\n\nBody text about ownership.\n",
    )
    assert doc.title == "Easing the collection of high quality beneficial ownership information in resource rich countries"
    assert doc.meta == {"title": doc.title, "author": "Kadie Armstrong, Christina Berger", "date": "2021-01-26"}
    assert pairs(doc.blocks) == [(PARAGRAPH, "Body text about ownership.")]
    assert doc.removed["front matter"] == 1


def test_front_matter_author_from_publisher_or_organisation_and_date_from_year(tmp_path):
    doc = md(tmp_path, "---\ntitle:  Kimberley Process\norganisation: Kimberley Process (United Nations)\nyear: 2003\n---\nText.\n")
    assert doc.meta == {"title": "Kimberley Process", "author": "Kimberley Process (United Nations)", "date": "2003"}
    doc = md(tmp_path, '---\ntitle: "Quoted"\npublisher: ANCIR\ndate: 2016-04-05\n---\nText.\n')
    assert doc.meta == {"title": "Quoted", "author": "ANCIR", "date": "2016-04-05"}


def test_front_matter_that_is_not_valid_yaml_is_read_as_key_value_lines(tmp_path):
    doc = md(tmp_path, "---\ntitle: Cobalt: risks and rules\nauthor: Mines Office\n---\nText.\n")
    assert doc.title == "Cobalt: risks and rules"
    assert doc.meta["author"] == "Mines Office"
    assert texts(doc.blocks) == ["Text."]


def test_windows_line_endings_and_title_from_the_first_level_one_heading(tmp_path):
    doc = md(tmp_path, "## Not this\r\n\r\n# **The Heading**\r\n\r\nBody.\r\n")
    assert doc.title == "The Heading"
    assert doc.meta == {}
    assert pairs(doc.blocks) == [(HEADING, "Not this"), (HEADING, "The Heading"), (PARAGRAPH, "Body.")]
    assert md(tmp_path, "Only a paragraph.\n").title == ""


def test_liquid_tags_and_comments_are_removed_and_counted(tmp_path):
    doc = md(
        tmp_path,
        "{% include page-desc.html %}\n\nKPC is a trade agreement.\n\n{{ page.title }} and {# note #}more.\n\n"
        "{% comment %}\nhidden words\n{% endcomment %}\n<!-- an author's note -->\nEnd.\n",
    )
    assert texts(doc.blocks) == ["KPC is a trade agreement.", "and more.", "End."]
    assert doc.removed["template tag"] == 4
    assert doc.removed["HTML comment"] == 1


def test_only_front_matter_is_unreadable(tmp_path):
    with pytest.raises(UnreadableDocument, match="no text"):
        md(tmp_path, "---\ntitle: Empty\n---\n{% include x.html %}\n")


# ---- Markdown: structure


def test_a_stack_of_heading_lines_stays_separate_headings(tmp_path):
    doc = md(tmp_path, "# Title 30— MINERAL LANDS\n### CHAPTER 28— POLICY\n#### § 1606. Security\n##### (c) Designations\n\n(1) Draft list\n")
    assert [(b.kind, b.level) for b in doc.blocks] == [(HEADING, 1), (HEADING, 3), (HEADING, 4), (HEADING, 5), (PARAGRAPH, 0)]
    assert doc.title == "Title 30— MINERAL LANDS"


def test_links_keep_anchor_text_images_and_emphasis_markers_go(tmp_path):
    doc = md(
        tmp_path,
        "![alt text](/img/landscape.png \"Landscape\")\n\nSee the [model form](https://eiti.org/form) and **bold** _words_ ~~old~~.\n\n"
        "<div>\nLiteral [anchor](http://example.org/x) and [local](/how-it-works/) in HTML.\n</div>\n",
    )
    assert texts(doc.blocks) == ["See the model form and bold words old.", "Literal anchor and local in HTML."]
    assert "embedded element" in doc.removed


def test_list_items_one_per_item_and_continuation_paragraphs_follow_as_paragraphs(tmp_path):
    doc = md(
        tmp_path,
        "1. First item.\n\n   A continuation paragraph.\n\n2. Second item.\n   - nested bullet\n\n"
        "3. Third item.\n\n- plain bullet\n",
    )
    assert [(b.kind, b.text, b.level) for b in doc.blocks] == [
        (LIST_ITEM, "1. First item.", 1),
        (PARAGRAPH, "A continuation paragraph.", 0),
        (LIST_ITEM, "2. Second item.", 1),
        (LIST_ITEM, "- nested bullet", 2),
        (LIST_ITEM, "3. Third item.", 1),
        (LIST_ITEM, "- plain bullet", 1),
    ]


def test_markdown_footnotes_become_notes_and_their_marks_go(tmp_path):
    doc = md(tmp_path, "Royalties rose in 2017.[^1]\n\n[^1]: ONRR data, 2017.\n")
    assert pairs(doc.blocks) == [(PARAGRAPH, "Royalties rose in 2017."), (NOTE, "1. ONRR data, 2017.")]


def test_gfm_table_gives_a_header_row_and_rows(tmp_path):
    doc = md(tmp_path, "| Law | Year |\n|---|---|\n| Mining Act | 1872 |\n| Leasing Act | 1920 |\n")
    assert pairs(doc.blocks) == [(TABLE_HEADER, "Law | Year"), (TABLE_ROW, "Mining Act | 1872"), (TABLE_ROW, "Leasing Act | 1920")]


def test_html_table_inside_markdown(tmp_path):
    doc = md(
        tmp_path,
        '## Fiscal regime\n\n<table class="article_table">\n  <tr>\n    <th>Law name</th>\n    <th>Lands</th>\n  </tr>\n'
        '  <tr>\n    <td><a href="http://gpo.gov/x.pdf">The General Mining Law</a> (30 USC § 29)</td>\n'
        "    <td>Federal onshore</td>\n  </tr>\n</table>\n",
    )
    assert pairs(doc.blocks) == [
        (HEADING, "Fiscal regime"),
        (TABLE_HEADER, "Law name | Lands"),
        (TABLE_ROW, "The General Mining Law (30 USC § 29) | Federal onshore"),
    ]
    assert doc.removed["HTML tag"] == 8


def test_tab_indented_html_is_read_as_html_not_as_code(tmp_path):
    doc = md(
        tmp_path,
        '<section class="slab">\n\n\t\t<div class="intro">\n\t\t  <h1>Nonenergy Minerals</h1>\n'
        '\t\t  <p class="intro_text">The General Mining Act of 1872 regulates gold.</p>\n\t\t</div>\n\n'
        "\t\t<p>After a blank line, still HTML.</p>\n</section>\n",
    )
    assert pairs(doc.blocks) == [
        (HEADING, "Nonenergy Minerals"),
        (PARAGRAPH, "The General Mining Act of 1872 regulates gold."),
        (PARAGRAPH, "After a blank line, still HTML."),
    ]


def test_custom_elements_show_their_name_and_intro_attributes(tmp_path):
    doc = md(
        tmp_path,
        '<custom-link to="/how-it-works/" className="breadcrumb link-charlie">How it works</custom-link> /\n'
        "# Nonenergy Minerals\n\n"
        "<did-you-know intro='Every year, BLM recognizes companies.'><span>The awards honor miners.</span></did-you-know>\n"
        "<process-group>\n"
        '  <process-step stepId="1" stepName="Plan" expanded="true">\n'
        "    <p>Hardrock mining takes place in the West.</p>\n"
        '    <p>Developers pay <glossary-term termKey="claim-staking fee">claim-staking fees</glossary-term> to BLM.</p>\n'
        "  </process-step>\n"
        '  <process-step stepName="Claim"><p>Claims are lode or placer claims.</p></process-step>\n'
        '  <process-step stepName="Empty"></process-step>\n'
        "</process-group>\n",
    )
    assert [(b.kind, b.text, b.level) for b in doc.blocks] == [
        (HEADING, "Nonenergy Minerals", 1),
        (PARAGRAPH, "Every year, BLM recognizes companies.", 0),
        (PARAGRAPH, "The awards honor miners.", 0),
        (HEADING, "Plan", 2),
        (PARAGRAPH, "Hardrock mining takes place in the West.", 0),
        (PARAGRAPH, "Developers pay claim-staking fees to BLM.", 0),
        (HEADING, "Claim", 2),
        (PARAGRAPH, "Claims are lode or placer claims.", 0),
    ]
    assert doc.removed["navigation"] >= 1


def test_nested_custom_elements_go_one_level_further_down():
    blocks, _ = html_blocks(
        '<h2>Steps</h2><step-group groupTitle="Leasing"><step-item itemLabel="Bid"><p>Bids are sealed.</p></step-item></step-group>'
    )
    assert [(b.kind, b.text, b.level) for b in blocks] == [
        (HEADING, "Steps", 2), (HEADING, "Leasing", 3), (HEADING, "Bid", 4), (PARAGRAPH, "Bids are sealed.", 0)
    ]


def test_bootstrap_panel_and_br_lines(tmp_path):
    doc = md(
        tmp_path,
        'Paragraph before.\n\n<br/>\n<div class="panel panel-default">\n  <div class="panel-heading">\n'
        '  Read the full response <a href="https://x.org/r.html" target="_blank">here</a>\n  </div>\n</div>\n<br/>\n\n'
        "*[Photo: Reporter]*\n<br>\n*Caption of the photo*\n",
    )
    assert texts(doc.blocks) == ["Paragraph before.", "Read the full response here", "[Photo: Reporter]", "Caption of the photo"]


# ---- HTML


NAV_PAGE = """<!--  Side Panel  -->
<!DOCTYPE html>
<html><head><meta charset="UTF-8" /><title>DRC&#39;s Mineral Wealth</title>
<style>.x { color: red }</style><script>var secretToken = 1;</script></head>
<body><div id="content">
  <header><a href="/">Home</a> Site banner</header>
  <nav><a href="/a">About</a> <a href="/b">Contact</a></nav>
  <div id='header' class='refresher'>DRC's Mineral Wealth</div>
  <div id="map-ui" class="switcher-box">
    <a href="#" id="environment">ENVIRONMENT</a>
    <a href="#" id="development">DEVELOPMENT</a>
    <a href="#" id="extractives">EXTRACTIVES</a>
  </div>
  <div><a class="breadcrumb-link" href="/how-it-works/">How it works</a> / </div>
  <div id='text'>
    <h1>Security</h1>
    <p>Violence is concentrated in the <span class='navigate'>Kivu provinces</span>, funded by <b>conflict minerals</b>.</p>
    <ul><li><a href="/doc1">Mining Claims and Sites on Federal Lands (PDF)</a></li><li><a href="/doc2">Mining claims</a></li></ul>
  </div>
  <div class='attribution' style='display:none'><div>Hidden attribution</div></div>
  <div hidden>Hidden by attribute</div>
  <p aria-hidden="true">Hidden from readers</p>
  <form><input name="q"><button>Search now</button></form>
  <footer>Copyright footer</footer>
</div></body></html>"""


def test_html_page_keeps_main_text_and_drops_chrome(tmp_path):
    doc = page(tmp_path, NAV_PAGE)
    assert doc.title == "DRC's Mineral Wealth"
    assert pairs(doc.blocks) == [
        (HEADING, "Security"),
        (PARAGRAPH, "Violence is concentrated in the Kivu provinces, funded by conflict minerals."),
        (LIST_ITEM, "- Mining Claims and Sites on Federal Lands (PDF)"),
        (LIST_ITEM, "- Mining claims"),
    ]
    assert doc.removed["navigation"] == 6  # header, nav, the header div, footer, the menu row, the breadcrumb
    assert doc.removed["hidden element"] == 3
    assert doc.removed["script/style"] == 2
    assert doc.removed["embedded element"] == 1
    assert doc.removed["HTML comment"] == 1
    assert doc.removed["HTML tag"] > 20


def test_main_element_is_the_content_and_title_falls_back_to_the_first_h1(tmp_path):
    doc = page(
        tmp_path,
        "<html><body><div>Site menu text</div><main><h2>Intro</h2><h1>Tailings</h1><p>Dams need monitoring.</p>"
        "<script>x()</script></main><div>After main</div></body></html>",
    )
    assert doc.title == "Tailings"
    assert texts(doc.blocks) == ["Intro", "Tailings", "Dams need monitoring."]
    assert doc.removed["script/style"] == 1


def test_role_main_and_roles_of_page_chrome():
    blocks, removed = html_blocks(
        '<div role="banner">Banner</div><div role="main"><div role="search">Search box</div><p>Content.</p>'
        '<div role="navigation"><a href="/x">X</a></div></div>'
    )
    assert texts(blocks) == ["Content."]
    assert removed["navigation"] == 2


def test_lists_tables_and_inline_rules():
    blocks, removed = html_blocks(
        '<ol start="3"><li>Third<ol><li>inner</li></ol></li><li value="7">Seventh</li></ol>'
        "<table><caption>Fees</caption><thead><tr><td>Fee</td><td>Amount</td></tr></thead>"
        "<tbody><tr><td>Claim<br>fee</td><td>$165</td></tr><tr><td></td><td></td></tr></tbody></table>"
        "<p>Line one<br/>Line two &amp; caf\u0065\u0301 with   spaces\u00a0here.<sup><a href='#fn1'>1</a></sup><sup>*</sup></p>"
        "<p>An area of 5 km<sup>2</sup>.<sup class='fn'>3</sup></p>"
        "<dl><dt>Lode</dt><dd>A vein deposit.</dd></dl><blockquote>Quoted words.</blockquote><pre>code   line</pre>"
    )
    assert [(b.kind, b.text, b.level) for b in blocks] == [
        (LIST_ITEM, "3. Third", 1),
        (LIST_ITEM, "1. inner", 2),
        (LIST_ITEM, "7. Seventh", 1),
        (PARAGRAPH, "Fees", 0),
        (TABLE_HEADER, "Fee | Amount", 0),
        (TABLE_ROW, "Claim fee | $165", 0),
        (PARAGRAPH, "Line one", 0),
        (PARAGRAPH, "Line two & café with spaces here.", 0),
        (PARAGRAPH, "An area of 5 km2.", 0),
        (PARAGRAPH, "Lode", 0),
        (PARAGRAPH, "A vein deposit.", 0),
        (PARAGRAPH, "Quoted words.", 0),
        (PARAGRAPH, "code line", 0),
    ]
    assert removed["footnote marker"] == 3  # the link, the asterisk, the class="fn" number; not the exponent


def test_a_div_with_text_and_blocks_and_an_inline_element_holding_a_heading():
    blocks, _ = html_blocks(
        '<div>Loose text <em>here</em><p>Inner paragraph.</p>tail text</div>'
        '<div><a class="x" href="https://facebook.com/blm"><img src="f.svg"/><h3>Facebook</h3></a><p>Like a page.</p></div>'
    )
    assert pairs(blocks) == [
        (PARAGRAPH, "Loose text here"), (PARAGRAPH, "Inner paragraph."), (PARAGRAPH, "tail text"),
        (HEADING, "Facebook"), (PARAGRAPH, "Like a page."),
    ]


def test_footnotes_section_gives_notes():
    blocks, removed = html_blocks(
        '<p>Royalties rose.<sup class="footnote-ref"><a href="#fn1" id="fnref1">[1]</a></sup></p>'
        '<section class="footnotes"><ol><li id="fn1"><p>ONRR data, 2017. <a href="#fnref1">↩︎</a></p></li></ol></section>'
    )
    assert pairs(blocks) == [(PARAGRAPH, "Royalties rose."), (NOTE, "1. ONRR data, 2017.")]
    assert removed["footnote marker"] == 2


def test_an_articles_header_holds_its_title_and_is_kept():
    blocks, removed = html_blocks(
        "<header>Site</header><article><header><h1>Closure plans</h1></header><p>Funded in advance.</p>"
        "<footer>Share this</footer></article>"
    )
    assert pairs(blocks) == [(HEADING, "Closure plans"), (PARAGRAPH, "Funded in advance.")]
    assert removed["navigation"] == 1  # the article's footer; the page header is outside the article


def test_html_without_text_is_unreadable(tmp_path):
    with pytest.raises(UnreadableDocument, match="no text"):
        page(tmp_path, "<html><body><nav><a href='/'>Home</a></nav><img src='x.png'></body></html>")


# ---- the real corpus


def _real_files() -> list[Path]:
    return sorted(p for p in MINING_POLICY.glob("*") if p.suffix in (".md", ".markdown", ".html") and p.name != "SOURCES.md")


@pytest.mark.skipif(not MINING_POLICY.is_dir(), reason=f"the mining-policy corpus is not at {MINING_POLICY}")
def test_real_markup_files_read_without_artifacts():
    files = _real_files()
    assert len(files) >= 10
    for path in files:
        doc = next(read_html(path) if path.suffix == ".html" else read_markdown(path))
        joined = "\n".join(b.text for b in doc.blocks)
        assert not HTML_TAG.findall(joined), path.name
        assert "{%" not in joined and "{{" not in joined, path.name
        assert "](http" not in joined and "](/" not in joined, path.name
        assert not HEADING_MARK.search(joined), path.name
        assert doc.title, path.name
        source = path.read_text(encoding="utf-8")
        if re.search(r"^#{1,6} |<h[1-6]", source, re.MULTILINE):  # the three atlas summaries have no heading
            assert any(b.kind == HEADING for b in doc.blocks), path.name
    usc = next(read_markdown(MINING_POLICY / "usc-title30-sec1606c-critical-mineral-designations.md"))
    assert [b.level for b in usc.blocks[:5]] == [1, 3, 4, 5, 0]
    drc = next(read_html(MINING_POLICY / "drc-mineral-wealth-sidebar.html"))
    assert [b.text for b in drc.blocks if b.kind == HEADING] == ["Security", "Land Rights", "M23"]


def test_a_web_page_title_loses_the_site_name_appended_to_it(tmp_path):
    from corpus.html import page_title

    assert page_title("Federal Laws | How It Works | Natural Resources Revenue Data") == "Federal Laws"
    assert page_title("Cobalt • Mines Office") == "Cobalt"
    assert page_title("Risks and rules: cobalt") == "Risks and rules: cobalt"
    doc = md(tmp_path, "---\ntitle: Nonenergy Minerals | How it Works | NRRD\n---\nText.\n")
    assert doc.title == "Nonenergy Minerals"
