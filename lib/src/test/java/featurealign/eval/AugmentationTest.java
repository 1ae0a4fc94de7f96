package featurealign.eval;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class AugmentationTest {

    private static float[] squares(int n, long seed) {
        return JudgeFixtures.squares(n, seed).images().castTo(DataType.FLOAT).dup('c').data().asFloat();
    }

    @Test
    void noneLeavesImagesUnchangedAndTheSameSeedGivesTheSameChanges() {
        float[] original = squares(16, 1);
        float[] same = original.clone();
        Augmentation.NONE.apply(same, 16, 1, 12, 12, new Random(3));
        assertArrayEquals(original, same);

        Augmentation a = Augmentation.photometric(2, true);
        float[] first = original.clone(), second = original.clone();
        a.apply(first, 16, 1, 12, 12, new Random(3));
        a.apply(second, 16, 1, 12, 12, new Random(3));
        assertArrayEquals(first, second);
        assertFalse(Arrays.equals(first, original), "a photometric augmentation must change some image");
        for (float v : first) assertTrue(v >= 0f && v <= 1f, "pixels stay in [0,1], got " + v);
    }

    @Test
    void blurLowersSharpnessAndKeepsTheMean() {
        INDArray images = JudgeFixtures.squares(32, 2).images();
        try (INDArray blurred = Augmentation.blurred(images, 2.0)) {
            double ratio = ImageMetrics.sharpnessRatio(blurred, images);
            assertTrue(ratio < 0.3, "σ = 2 blur must remove most gradient energy, ratio " + ratio);
            // Edges repeat, so the mean moves only a little.
            assertEquals(images.meanNumber().doubleValue(), blurred.meanNumber().doubleValue(), 0.02);
        }
        try (INDArray mild = Augmentation.blurred(images, 0.5); INDArray strong = Augmentation.blurred(images, 2.0)) {
            assertTrue(ImageMetrics.sharpness(strong) < ImageMetrics.sharpness(mild));
            assertTrue(ImageMetrics.sharpness(mild) < ImageMetrics.sharpness(images));
        }
    }

    @Test
    void flipAndShiftMoveThePixelsThemselves() {
        float[] image = new float[3 * 4];          // one 1×3×4 image with a single bright pixel at (0, 0)
        image[0] = 1f;
        Augmentation flipOnly = new Augmentation(0, true, 0, 0, 0, 0, 0, 0, 0);
        // Find a seed whose first boolean is true: the flip then mirrors the row.
        long seed = 0;
        while (!new Random(seed).nextBoolean()) seed++;
        flipOnly.apply(image, 1, 1, 3, 4, new Random(seed));
        assertEquals(1f, image[3]);
        assertEquals(0f, image[0]);

        float[] dot = new float[5 * 5];
        dot[2 * 5 + 2] = 1f;                        // centre
        Augmentation shiftOnly = new Augmentation(1, false, 0, 0, 0, 0, 0, 0, 0);
        boolean moved = false;
        for (long s = 0; s < 20 && !moved; s++) {
            float[] copy = dot.clone();
            shiftOnly.apply(copy, 1, 1, 5, 5, new Random(s));
            float total = 0;
            for (float v : copy) total += v;
            assertEquals(1f, total, "a shift by one pixel keeps the centre dot inside the image");
            moved = copy[2 * 5 + 2] == 0f;
        }
        assertTrue(moved, "some seed must shift the dot");
    }

    @Test
    void descriptionNamesEverySettingAndBadValuesAreRejected() {
        String d = Augmentation.photometric(2, false).description();
        for (String part : new String[]{"shift<=2", "flip=false", "blur(p=0.5", "contrast=0.3", "brightness=0.1", "noise("}) {
            assertTrue(d.contains(part), d);
        }
        assertEquals("none", Augmentation.NONE.description());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Augmentation(0, false, 1.5, 0, 0, 0, 0, 0, 0));
        assertTrue(e.getMessage().contains("blurProbability"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Augmentation(0, false, 0.5, 2, 1, 0, 0, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> Augmentation.blurred(Nd4j.zeros(DataType.FLOAT, 2, 1, 4, 4), 0));
    }
}
