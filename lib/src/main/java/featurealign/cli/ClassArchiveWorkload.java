package featurealign.cli;

import featurealign.experiment.Inspection;
import featurealign.train.FaModel;
import featurealign.train.LocalTraining;
import featurealign.train.Noise;
import featurealign.train.RunConfig;
import featurealign.viz.ImageGrid;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What {@code environment/class-archive} runs once, under {@code -XX:ArchiveClassesAtExit}, to record the classes a
 * training run loads (ND4J, SameDiff, the kit) in a class-data-sharing archive: later JVMs map them ready-parsed
 * instead of loading and verifying them, 0.2-0.4 s less to the first training step. One smoke-sized FA-VAE-GAN
 * iteration, sampling, one local-training step and an image grid, on random data: no data set is needed.
 */
public final class ClassArchiveWorkload {
    private ClassArchiveWorkload() {}

    public static void main(String[] args) throws java.io.IOException {
        // gan.prior STANDARD: the smoke profile's class Gaussians need a fit to training images, which this workload
        // (driving one step without FaTrainer, on random data) has none of.
        RunConfig config = RunConfig.profile("smoke", "mnist").with("gan.prior", "STANDARD");
        int batch = 4;
        Noise noise = new Noise(1);
        DataType dt = config.dataType();
        INDArray images = noise.uniform(dt, batch, 1, 28, 28);
        INDArray labels = Inspection.cyclingLabels(batch, 10, dt);
        FaModel model = new FaModel(config);
        model.trainStep(images, labels, true, noise, 1);
        // z ~ N(0, I) for sampling too (null prior), for the same reason.
        INDArray samples = model.refine(model.sampleWithProbe(batch, labels, noise, null), labels);
        javax.imageio.ImageIO.write(ImageGrid.grid(samples, 2), "png", java.io.OutputStream.nullOutputStream());
        LocalTraining local = LocalTraining.builder(config.architecture()).dataType(dt).seed(1).build();
        local.run(images.mul(0.98).addi(0.01));
        System.out.println("class-archive workload done");
    }
}
