package featurealign.train;

import featurealign.data.ImageSet;
import featurealign.nn.Architecture;
import featurealign.nn.Shape;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Tiny architectures and synthetic data for fast training tests. */
public final class TinyRuns {
    private TinyRuns() {}

    /** 1×8×8 images, one stage of 4 channels, h = 16, Z = 4, 3 classes, a 4-channel generator. */
    public static final Architecture TINY = new Architecture("tiny", Shape.image(1, 8, 8), new int[]{4}, 16, 4, 3, 3, 4, false, 0.01);

    /** {@code n} images with a bright square whose position is the class (3 classes), plus noise. */
    public static ImageSet squares(int n, long seed) {
        Random r = new Random(seed);
        byte[] px = new byte[n * 64];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = i % 3;
            for (int p = 0; p < 64; p++) px[i * 64 + p] = (byte) r.nextInt(40);
            int ox = labels[i] * 2 + 1, oy = 2;
            for (int y = oy; y < oy + 3; y++) for (int x = ox; x < ox + 3; x++) px[i * 64 + y * 8 + x] = (byte) 230;
        }
        return ImageSet.builder("squares", 1, 8, 8).pixels(px).labels(labels, List.of("left", "middle", "right")).build();
    }

    public static RunConfig tinyConfig(int steps, int ganStart) {
        RunConfig c = RunConfig.profile("smoke", "mnist").withArchitecture(TINY).withBatchSize(8).withSteps(steps)
                .withGanStartStep(ganStart).with("trainLimit", "0").with("checkpointEvery", "0").with("gcEvery", "0")
                .with("evalImages", "16").with("sampleImages", "16");
        // The reference's sampling and GAN (the tests of those departures set them themselves).
        var reference = RunConfig.profile("paper", "mnist").toProperties();
        Map<String, String> ganAndSampling = new LinkedHashMap<>();
        for (String k : reference.stringPropertyNames()) {
            if (k.startsWith("gan.") || k.startsWith("sampling.")) ganAndSampling.put(k, reference.getProperty(k));
        }
        return c.with(ganAndSampling);
    }
}
