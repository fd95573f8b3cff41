"""Follow-up questions read with the name the previous question asked about."""

from __future__ import annotations

import pytest

from qa.followup import read_as_follow_up, subject


@pytest.mark.parametrize(
    "question, previous, read",
    [
        ("When was it launched?", "What is the HLEAG?", "When was the HLEAG launched?"),
        ("What are its members?", "What does the letter say about the HLEAG?", "What are the HLEAG’s members?"),
        ("Where does she teach?", "Who is Jessica DiCarlo?", "Where does Jessica DiCarlo teach?"),
        ("Who leads it?", "What is the Ministry of Commerce of the State Council of China?",
         "Who leads the Ministry of Commerce of the State Council of China?"),
        ("its aims?", "What is the IGF?", "The IGF’s aims?"),
        # a question that names something of its own is read as it is
        ("How was it set up by the UN?", "What is the HLEAG?", "How was it set up by the UN?"),
        ("What does the Ministry of Commerce do?", "What is MOFCOM?", "What does the Ministry of Commerce do?"),
        # the previous question names nothing, or several things: nothing to point at
        ("Is it green?", "What is mining?", "Is it green?"),
        ("What is it?", "How do the HRC statement and the Wilson report differ?", "What is it?"),
        # an "it" that points at nothing
        ("Is it true that mining uses water?", "What is the HLEAG?", "Is it true that mining uses water?"),
        ("When was it launched?", "", "When was it launched?"),
    ],
)
def test_read_as_follow_up(question, previous, read):
    assert read_as_follow_up(question, previous) == read


def test_subject_is_the_one_name_after_the_first_word():
    assert subject("What does CCCMC stand for?") == "CCCMC"
    assert subject("Who wrote the Wilson report?") == "the Wilson"
    assert subject("What is green mining?") is None
    assert subject("Why?") is None


KINDS = ("letter", "statement", "report", "initiative", "document")


@pytest.mark.parametrize(
    "question, previous, read",
    [
        # "And X?" asks the previous question of another document ...
        ("And the trade initiative?", "What does the letter say about women?", "What does the trade initiative say about women?"),
        ("What about the outcome document?", "When was the HRC statement issued?", "When was the outcome document issued?"),
        # ... or of another name
        ("And the IGF?", "What is the HLEAG?", "What is the IGF?"),
        ("And the IGF?", "What does the letter say about the HLEAG?", "What does the letter say about the IGF?"),
        # an "and" question of its own still has its pronoun read
        ("And when was it launched?", "What is the HLEAG?", "And when was the HLEAG launched?"),
        # ... or of another topic: the words after its last preposition, else its last word
        ("And women?", "What does the letter say about children?", "What does the letter say about women?"),
        ("What about lithium?", "Which countries produce cobalt?", "Which countries produce lithium?"),
        ("And nickel?", "What does the report say on the supply of cobalt?", "What does the report say on the supply of nickel?"),
        # a preposition of its own: in place of the previous question's phrase with that preposition
        ("And in Zambia?", "Which companies mine copper in the DRC?", "Which companies mine copper in Zambia?"),
        ("What about in the trade initiative?", "What does the letter say about women?",
         "What does the trade initiative say about women?"),
        ("And for nickel?", "What does the letter say about cobalt?", "And for nickel?"),  # no "for" phrase to replace
        # nothing to put it in place of
        ("And women?", "Which documents mention it?", "And women?"),
        ("And the trade initiative?", "", "And the trade initiative?"),
    ],
)
def test_and_x_reads_the_previous_question_about_x(question, previous, read):
    assert read_as_follow_up(question, previous, KINDS) == read



@pytest.mark.parametrize(
    "question, previous, read",
    [
        ("Why?", "Was the HLEAG delayed?", "Why was the HLEAG delayed?"),
        ("Why is that?", "Did the Alliance support the initiative?", "Why did the Alliance support the initiative?"),
        ("And why?", "What did the letter ask the Secretary-General to do?", "Why did the letter ask the Secretary-General to do?"),
        ("Why?", "Who wrote the Wilson report?", "Why?"),  # nothing to ask the reason of
        ("Why?", "", "Why?"),
    ],
)
def test_why_asks_the_reason_of_the_previous_question(question, previous, read):
    assert read_as_follow_up(question, previous) == read


PRINCIPLES = (
    "On the basis of mutual respect, we jointly put forward the following principles: [1] Create an open and "
    "secure policy environment [2] Promote green trade liberalization and facilitation [3] Better fulfill "
    "social responsibilities [4]"
)


@pytest.mark.parametrize(
    "question, read",
    [
        ("Tell me more about the second one", "Tell me more about Promote green trade liberalization and facilitation"),
        ("What does the first point mean?", "What does Create an open and secure policy environment mean?"),
        ("And the last one?", "And Better fulfill social responsibilities?"),
        ("Tell me about number 3.", "Tell me about Better fulfill social responsibilities."),
        # an ordinal that is not about the answer's items, or past its end
        ("When was the last meeting held?", "When was the last meeting held?"),
        ("Tell me more about the ninth one", "Tell me more about the ninth one"),
    ],
)
def test_an_ordinal_stands_for_that_item_of_the_previous_answer(question, read):
    assert read_as_follow_up(question, "What principles does the initiative put forward?", (), PRINCIPLES) == read


def test_an_item_is_read_without_its_ordinal_word():
    answer = "It proposes three steps. [1] First, map the supply chain. [1] Second, assess the risks. [1]"
    assert read_as_follow_up("Tell me more about the second one", "What steps does it propose?", (), answer) == (
        "Tell me more about assess the risks"
    )
