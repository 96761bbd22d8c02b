package dev.djlmetal.examples.train;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A probabilistic grammar of short children's stories: the corpus the embedded model is trained on.
 *
 * <p>The project owns every word of it, so the trained weights contain no third-party data. A story
 * has a hero, a place, an object, a small problem and its resolution; choices are drawn from a
 * seeded {@link SplittableRandom}, so a seed always yields the same stories. Held-out text for
 * perplexity is drawn with other seeds: the combinations it contains were never seen in training.
 */
public final class StoryGrammar {

    private static final String[][] GIRLS = {
        {"Lily", "girl"},
        {"Mia", "girl"},
        {"Sue", "girl"},
        {"Anna", "girl"},
        {"Zoe", "girl"},
        {"Lucy", "girl"},
        {"Emma", "girl"},
        {"Rosa", "girl"}
    };
    private static final String[][] BOYS = {
        {"Tom", "boy"},
        {"Ben", "boy"},
        {"Max", "boy"},
        {"Sam", "boy"},
        {"Leo", "boy"},
        {"Jack", "boy"},
        {"Tim", "boy"},
        {"Noah", "boy"}
    };
    private static final String[] ANIMALS = {
        "dog", "cat", "bunny", "bird", "frog", "duck", "bear", "fox"
    };
    private static final String[] SIZES = {"little", "small", "big", "tiny"};
    private static final String[] TRAITS = {
        "kind", "happy", "brave", "shy", "curious", "funny", "gentle"
    };
    private static final String[] PLACES = {
        "park", "garden", "forest", "beach", "farm", "village", "meadow", "town"
    };
    private static final String[] COLORS = {
        "red", "blue", "green", "yellow", "pink", "purple", "shiny"
    };
    private static final String[] OBJECTS = {
        "ball", "kite", "box", "hat", "book", "flower", "cake", "boat", "shell", "drum"
    };
    private static final String[] LIKES = {
        "play", "run", "sing", "dance", "read", "draw", "jump", "swim"
    };
    private static final String[] PROBLEMS = {
        "it was stuck in a tall tree",
        "it fell into the pond",
        "the wind blew it away",
        "it was broken",
        "a big dog took it",
        "it was too high to reach",
        "it rolled under the fence"
    };
    private static final String[] HELPERS = {
        "mom", "dad", "grandma", "grandpa", "teacher", "sister"
    };
    private static final String[] FEELINGS = {"sad", "worried", "upset", "scared"};
    private static final String[] JOYS = {"happy", "glad", "proud", "excited"};
    private static final String[] ENDINGS = {
        "They played together until the sun went down.",
        "From that day on, they were best friends.",
        "They went home and had a warm cup of milk.",
        "Everyone smiled, and the day was full of fun.",
        "That night, %s slept with a big smile."
    };

    private final SplittableRandom random;

    /**
     * Creates a grammar drawing from the given seed.
     *
     * @param seed the seed; equal seeds give equal stories
     */
    public StoryGrammar(long seed) {
        this.random = new SplittableRandom(seed);
    }

    /**
     * Generates stories.
     *
     * @param count the number of stories
     * @return the stories, one string each
     */
    public List<String> stories(int count) {
        List<String> list = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            list.add(story());
        }
        return list;
    }

    /**
     * Generates one story of five to nine sentences.
     *
     * @return the story text
     */
    public String story() {
        Hero hero = hero();
        Hero friend = hero();
        while (friend.name.equals(hero.name)) {
            friend = hero();
        }
        String place = pick(PLACES);
        String object = pick(OBJECTS);
        String color = pick(COLORS);
        StringBuilder text = new StringBuilder();
        text.append(opening(hero)).append(' ');
        text.append(
                        sentence(
                                "%s liked to %s in the %s.",
                                "Every day, %s went to the %s to %s.",
                                hero.name,
                                pick(LIKES),
                                place))
                .append(' ');
        text.append(discovery(hero, color, object, place)).append(' ');
        if (random.nextInt(3) > 0) {
            text.append(problem(hero, friend, object)).append(' ');
        } else {
            text.append(share(hero, friend, object)).append(' ');
        }
        String ending = pick(ENDINGS);
        text.append(ending.contains("%s") ? String.format(ending, hero.name) : ending);
        return text.toString();
    }

    private String opening(Hero hero) {
        String adjective = random.nextBoolean() ? pick(SIZES) : pick(TRAITS);
        switch (random.nextInt(3)) {
            case 0:
                return "Once upon a time, there was a "
                        + adjective
                        + " "
                        + hero.kind
                        + " named "
                        + hero.name
                        + ".";
            case 1:
                return "One day, a "
                        + adjective
                        + " "
                        + hero.kind
                        + " named "
                        + hero.name
                        + " woke up.";
            default:
                return "There once was a "
                        + adjective
                        + " "
                        + hero.kind
                        + " called "
                        + hero.name
                        + ".";
        }
    }

    private String sentence(String first, String second, String name, String verb, String place) {
        return random.nextBoolean()
                ? String.format(first, name, verb, place)
                : String.format(second, name, place, verb);
    }

    private String discovery(Hero hero, String color, String object, String place) {
        String article = color.matches("[aeiou].*") ? "an" : "a";
        return "One day, "
                + hero.name
                + " saw "
                + article
                + " "
                + color
                + " "
                + object
                + " in the "
                + place
                + ". "
                + capitalize(hero.subject)
                + " "
                + pick("wanted to play with it.", "thought it was very pretty.", "picked it up.");
    }

    private String problem(Hero hero, Hero friend, String object) {
        String helper = pick(HELPERS);
        return "But "
                + pick(PROBLEMS)
                + ". "
                + hero.name
                + " felt "
                + pick(FEELINGS)
                + ". "
                + capitalize(hero.possessive)
                + " "
                + helper
                + " said, \"Don't worry, "
                + hero.name
                + ". Let's ask "
                + friend.name
                + " to help.\" "
                + friend.name
                + " was a "
                + pick(TRAITS)
                + " "
                + friend.kind
                + ". "
                + capitalize(friend.subject)
                + " helped "
                + hero.name
                + " get the "
                + object
                + " back. "
                + hero.name
                + " was very "
                + pick(JOYS)
                + " and said, \"Thank you, "
                + friend.name
                + "!\"";
    }

    private String share(Hero hero, Hero friend, String object) {
        return hero.name
                + " ran to show "
                + hero.possessive
                + " friend "
                + friend.name
                + ". "
                + friend.name
                + " said, \"What a nice "
                + object
                + "!\" "
                + hero.name
                + " shared the "
                + object
                + " with "
                + friend.name
                + ", and they both felt "
                + pick(JOYS)
                + ".";
    }

    private Hero hero() {
        int choice = random.nextInt(3);
        if (choice == 0) {
            String[] girl = GIRLS[random.nextInt(GIRLS.length)];
            return new Hero(girl[0], girl[1], "she", "her");
        }
        if (choice == 1) {
            String[] boy = BOYS[random.nextInt(BOYS.length)];
            return new Hero(boy[0], boy[1], "he", "his");
        }
        String animal = pick(ANIMALS);
        boolean female = random.nextBoolean();
        String[] names =
                female ? GIRLS[random.nextInt(GIRLS.length)] : BOYS[random.nextInt(BOYS.length)];
        return new Hero(names[0], animal, female ? "she" : "he", female ? "her" : "his");
    }

    private String pick(String... options) {
        return options[random.nextInt(options.length)];
    }

    private static String capitalize(String word) {
        return Character.toUpperCase(word.charAt(0)) + word.substring(1);
    }

    /** A character of a story with the pronouns the grammar agrees with. */
    private static final class Hero {
        final String name;
        final String kind;
        final String subject;
        final String possessive;

        Hero(String name, String kind, String subject, String possessive) {
            this.name = name;
            this.kind = kind;
            this.subject = subject;
            this.possessive = possessive;
        }
    }
}
