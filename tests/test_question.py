"""Question analysis: key terms, expected answer kind, parts and the asked-for focus."""

from qa.question import COUNTRY, DATE, LIST, NUMBER, OTHER, WHO, InvalidQuestion, Question, check_question, is_summary_section

import pytest


@pytest.mark.parametrize(
    "text, kind",
    [
        ("When was the outcome document issued?", DATE),
        ("How many organisations signed the letter?", NUMBER),
        ("Who wrote the Wilson report?", WHO),
        ("Which principles must the HLEAG process follow?", LIST),
        ("Why does CCCMC matter?", OTHER),
        # "what <things> should/do ...": several things are asked for
        ("What qualities should cooperation under the initiative have?", LIST),
        ("What practical details do the signatories want written down?", LIST),
        ("What does the letter ask for?", OTHER),
        ("What progress was made at UNEA-5?", OTHER),
        ("Which countries have signed the initiative?", COUNTRY),
        ("In which country did UNEA-4 take place?", COUNTRY),
        ("How many countries are IGF members?", NUMBER),
        ("By when was the HLEAG meant to start?", DATE),
        ("Where and when did UNEA-4 take place?", DATE),
        ("Which dates did the session run?", DATE),
        ("In which years was the guidance revised?", DATE),
        # "when" joining two clauses asks for no date
        ("What happens inside governments when mining rules are not joined up?", OTHER),
        # the noun after "which"/"what": plural or counted asks for several things, singular for one
        ("Which four metals make up the 3TG group?", LIST),
        ("Which stakeholder groups did the consultations identify?", LIST),
        ("Which orebodies make up the mining assets?", LIST),
        ("Which authorities investigated the deal?", LIST),
        ("What kinds of payments do mining companies make?", LIST),
        ("Which companies and industry associations joined the initiative?", LIST),
        ("At which event did the Secretary-General commit to the group?", OTHER),
        ("Which regional framework does the initiative name?", OTHER),
        ("Which state opted in to the report in 2017?", OTHER),
        ("Which Human Rights Council session circulated the statement?", OTHER),
        ("What legal standing must a member company have?", OTHER),
        ("What makes the 2023 mechanism a first?", OTHER),
    ],
)
def test_expected_kind(text, kind):
    assert Question.parse(text).expects == kind


def test_key_terms_drop_question_and_meta_words():
    terms = Question.parse("What does the report say about cobalt in the DRC?").terms
    assert terms == ("cobalt", "drc")


def test_two_part_question_is_split():
    q = Question.parse("When were the guidelines launched, and when were they revised?")
    assert [p.expects for p in q.parts] == [DATE, DATE]
    assert "revis" in q.parts[1].terms


def test_a_later_part_with_a_pronoun_carries_the_names_of_the_first():
    q = Question.parse("How many members does the IGF have, and what tool did it develop for governments?")
    assert q.parts[1].context == ("igf",) and "igf" not in q.parts[1].terms
    assert q.parts[0].context == ()
    # no pronoun, no context
    assert Question.parse("Who leads the IGF, and what does the OECD publish?").parts[1].context == ()


@pytest.mark.parametrize(
    "text, focus",
    [
        ("What was the CCCMC's total revenue in 2025?", ("revenu",)),
        ("How many member countries does the IGF have?", ("member", "countri")),
        ("What is the purpose of the HLEAG?", ()),
        ("What is holding up the HLEAG?", ()),
        ("What is meant by layering?", ()),  # a passive verb, as "what is layering?" has no focus either
        ("What is known as the flip?", ()),
        ("Why does CCCMC matter?", ()),
        ("How many complaints has the mechanism received?", ("complaint",)),  # not "has"
        ("How much funding has the HLEAG received?", ("fund",)),  # a noun in -ing after "how much"
        ("How much is BLM's annual maintenance fee?", ("mainten", "fee")),  # not "BLM", the owner
        ("How much did Mr Gertler pay for the assets?", ()),  # an amount; its subject is no thing asked for
        ("How many did the mechanism receive?", ()),
        ("What was Jessica DiCarlo's PhD thesis about?", ("phd", "thesi")),  # a name of two words before "'s"
        ("Did UNEA-5 vote to establish an international minerals agency?", ("vote",)),  # a formal act
        ("Was the resolution adopted by the Council?", ("adopt",)),
        ("Has the Secretary-General appointed the panel's members?", ("appoint",)),
        ("When did the EU ban imports of conflict cobalt?", ("ban",)),
        ("Did the chamber think companies should drop artisanal cobalt?", ()),  # an opinion, not an act
        ("Did the letter ask the UNSG to launch the HLEAG?", ()),
        ("What fee does a mine pay to join the scheme?", ("fee",)),  # one thing asked for by its kind
        ("What prison sentence did the trader receive?", ("prison", "sentenc")),
        ("What tasks does the resolution give to UNEP?", ()),  # a list: its items need not say "task"
        ("What year did the jeweller stop buying there?", ()),  # a date, checked by its form
        ("What role did the adviser play?", ()),  # abstract: "she set up ..." answers it
        ("What else did the report say?", ()),  # an adverb, no thing asked for
        ("What specifically did the letter ask for?", ()),
        ("What family did the trader belong to?", ("famili",)),  # a noun in -ly
    ],
)
def test_focus(text, focus):
    assert Question.parse(text).focus == focus


def test_check_question():
    assert check_question("  What   is CCCMC? ") == "What is CCCMC?"
    with pytest.raises(InvalidQuestion):
        check_question("\n\t ")


@pytest.mark.parametrize(
    "text, across",
    [
        ("Which documents identify fragmentation as a problem?", True),
        ("In which reports is child labour mentioned?", True),
        ("What sources discuss benefit-sharing?", True),
        ("Which principles does the letter name?", False),
        ("What does the report say about cobalt?", False),
    ],
)
def test_which_documents_questions_want_each_document(text, across):
    assert Question.parse(text).across_documents is across


@pytest.mark.parametrize(
    "text, focus, owner",
    [
        ("What is the capital of France?", ("capit",), ("franc",)),
        ("What is the annual budget of the Zhongguancun Alliance?", ("budget",), ("zhongguancun", "allianc")),
        ("What is the current spot price of lithium carbonate per tonne?", ("spot", "price"), ("lithium", "carbon")),
        ("Who is the CEO of Huayou Cobalt?", ("ceo",), ("huayou", "cobalt")),
        ("What was the CCCMC's total revenue in 2025?", ("revenu",), ()),
        ("Who is Jessica DiCarlo?", (), ()),  # a name, not a role
        ("What is the purpose of the HLEAG?", (), ()),  # abstract: a passage answers it without the word
    ],
)
def test_focus_and_what_it_belongs_to(text, focus, owner):
    q = Question.parse(text)
    assert (q.focus, q.focus_of) == (focus, owner)


def test_numbered_names_are_read_whatever_their_spelling():
    assert Question.parse("What did UNEA-6 and COP 29 decide, and what did the G20 say?").identifiers == ("unea6", "cop29", "g20")
    assert Question.parse("What did the 3TG rules of 2012 require in the 14th plan?").identifiers == ("3tg",)
    assert Question.parse("In 2019, what did the UN decide?").identifiers == ()


@pytest.mark.parametrize(
    "text, topic",
    [
        ("Is deep-sea mining discussed?", "deep-sea mining"),
        ("Does the letter mention child labour?", "child labour"),
        ("Is nuclear power discussed in the documents?", "nuclear power"),
        ("Is uranium mentioned anywhere?", "uranium"),
        ("Does the trade initiative talk about intellectual property?", "intellectual property"),
        ("Is the Belt and Road Initiative mentioned?", "Belt and Road Initiative"),
        ("Does CCCMC support artisanal mining?", ""),  # not a question about mentions
        ("Which documents mention cobalt?", ""),  # which ones: a question across documents
    ],
)
def test_the_topic_of_a_mention_question(text, topic):
    assert Question.parse(text).topic == topic


@pytest.mark.parametrize(
    "text, summary",
    [
        ("Summarize the civil society letter.", True),
        ("What is the Wilson report about?", True),
        ("Give me an overview of the trade initiative", True),
        ("What are the key takeaways of the Wilson report?", True),
        ("What is green mining?", False),
        ("What does the letter say about women?", False),
    ],
)
def test_summary_questions(text, summary):
    assert Question.parse(text).summary is summary


def test_summary_sections_are_the_documents_own_summaries():
    assert is_summary_section(("Abstract",)) and is_summary_section(("Report", "Executive Summary"))
    assert not is_summary_section(("Key messages noted during the Nexus Dialogue, include:",))
    assert not is_summary_section(("CCCMC Overview and Membership",))
