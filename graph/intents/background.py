"""Background examples: messages that belong to no support intent.

Why: a one-vs-rest model trained only on in-scope examples has never seen a message that
belongs to none of them, so "what is the capital of Mongolia" scores like "what is the
status of my order" on shared words. These texts are negatives for every intent and enter
the calibration as such, so out-of-scope messages get low confidence. They are generic
(general knowledge, small talk unrelated to a purchase, noise) so that they hold for any
company's policy; any that resemble a training example are dropped before training.
Snips NLU's generated "None" intent follows the same idea.
"""

from __future__ import annotations

import random

GENERIC = (
    "what is the capital of mongolia",
    "who won the football match last night",
    "how tall is mount everest",
    "what is the weather like in paris tomorrow",
    "tell me a joke",
    "what's the meaning of life",
    "can you recommend a good movie",
    "how do I bake sourdough bread",
    "what time is it in tokyo",
    "translate hello into spanish",
    "who wrote pride and prejudice",
    "how many legs does a spider have",
    "what is the square root of 144",
    "play some music",
    "set an alarm for 7 am",
    "remind me to call my mom",
    "what's the best pizza topping",
    "do you like cats or dogs",
    "how far is the moon from the earth",
    "what is photosynthesis",
    "write me a poem about the sea",
    "who is the president of france",
    "how do I fix a flat bike tyre",
    "what should I cook for dinner tonight",
    "is it going to rain today",
    "what's your favourite colour",
    "how old is the universe",
    "recommend a book about history",
    "what is the population of brazil",
    "how do I learn to play guitar",
    "what are the symptoms of the flu",
    "how many calories are in an apple",
    "explain quantum physics to me",
    "what is the tallest building in the world",
    "book me a table at an italian restaurant",
    "how do you say thank you in japanese",
    "who painted the mona lisa",
    "what's a good name for a puppy",
    "how do I get rid of hiccups",
    "which planet is the biggest",
    "what is the speed of light",
    "give me a fun fact",
    "how do I meditate",
    "what's the score of the basketball game",
    "when is the next full moon",
    "convert 10 miles to kilometers",
    "what is the boiling point of water",
    "how do plants grow",
    "who invented the telephone",
    "what language is spoken in brazil",
    "sing me a song",
    "are you a robot",
    "do you dream",
    "I like turtles",
    "my cat is sleeping on the sofa",
    "the sky is blue today",
    "I'm going hiking this weekend",
    "bananas are yellow",
    "what do you think about politics",
    "how do I train for a marathon",
    "what's the difference between a frog and a toad",
    "roll a dice",
    "flip a coin",
    "how many ounces in a pound",
    "what year did world war two end",
    "how do I tie a tie",
    "where do penguins live",
    "how do airplanes fly",
    "what is the best programming language",
    "solve x plus 3 equals 7",
    "who is the richest person alive",
    "what's the recipe for pancakes",
    "how long should I boil an egg",
    "recommend a podcast",
    "what is the largest ocean",
    "how do I grow tomatoes",
    "test",
    "lorem ipsum dolor sit amet",
    "blah blah blah",
    "ok",
    "hmm",
    "banana",
    "purple elephant dancing",
    "the quick brown fox jumps over the lazy dog",
)


def gibberish(count: int = 40, seed: int = 7) -> list[str]:
    """Random letter strings: keyboard mashing must not look like any intent."""
    rng = random.Random(seed)
    letters = "abcdefghijklmnopqrstuvwxyz"
    return [
        " ".join(
            "".join(rng.choice(letters) for _ in range(rng.randint(2, 7)))
            for _ in range(rng.randint(1, 4))
        )
        for _ in range(count)
    ]


def background_texts() -> list[str]:
    return [*GENERIC, *gibberish()]
