package featurealign.nn;

import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The generator's parameter gradients (label map, convs, batch norm in training mode with its batch statistics) equal
 * central finite differences in float64, and batch norm normalises each channel as PyTorch's BatchNorm2d does.
 */
class GeneratorGradientTest {

    static final Architecture TINY = new Architecture("tiny", Shape.image(1, 6, 6), new int[]{2}, 8, 3, 3, 3, 4, true, 0.01);

    @Test
    void gradientsMatchCentralFiniteDifferences() {
        SameDiff sd = SameDiff.create();
        Generator g = Generator.declare(sd, TINY, DataType.DOUBLE);
        g.initialize(3);
        Nd4j.getRandom().setSeed(4);
        SDVariable xhat = sd.constant("xhat", Nd4j.rand(DataType.DOUBLE, 5, 1, 6, 6));
        SDVariable y = sd.constant("y", Nd4j.rand(DataType.DOUBLE, 5, 3));
        SDVariable c = sd.constant("c", Nd4j.randn(DataType.DOUBLE, 5, 1, 6, 6));
        SDVariable loss = g.forward(xhat, y, true).output().mul(c).sum();
        loss.rename("loss");
        sd.setLossVariables("loss");
        List<String> names = g.parameters().stream().map(SDVariable::name).toList();
        Map<String, INDArray> grads = sd.calculateGradients(Map.of(), names);
        double h = 1e-6, worst = 0;
        for (SDVariable v : g.parameters()) {
            INDArray p = v.getArr();
            INDArray d = Nd4j.randn(DataType.DOUBLE, p.shape());
            d.divi(d.norm2Number());
            INDArray orig = p.dup();
            p.addi(d.mul(h));
            double up = sd.output(Map.of(), "loss").get("loss").getDouble(0);
            p.assign(orig).subi(d.mul(h));
            double down = sd.output(Map.of(), "loss").get("loss").getDouble(0);
            p.assign(orig);
            double fd = (up - down) / (2 * h), an = grads.get(v.name()).mul(d).sumNumber().doubleValue();
            // A conv bias right before batch norm has an exactly zero gradient (the normalisation removes it): there the
            // finite difference is rounding noise, ~1e-9, hence the absolute floor.
            double err = Math.abs(an - fd) / Math.max(Math.max(Math.abs(an), Math.abs(fd)), 1e-3);
            worst = Math.max(worst, err);
            assertTrue(err < 1e-5, v.name() + ": analytic " + an + ", finite difference " + fd);
        }
        System.out.printf("generator gradients vs central FD: worst relative error %.2e over %d tensors%n", worst, names.size());
    }

    @Test
    void batchNormUsesBiasedBatchStatisticsInTrainingAndRunningOnesInEvaluation() {
        SameDiff sd = SameDiff.create();
        NetworkSpec spec = new NetworkSpec("bn", Shape.image(2, 3, 3), List.of(new LayerSpec.BatchNorm(2)));
        Network net = Network.declare(sd, spec, DataType.DOUBLE);
        net.initialize(1);
        INDArray x0 = Nd4j.rand(DataType.DOUBLE, 4, 2, 3, 3).muli(5).addi(2);
        SDVariable x = sd.constant("x", x0);
        INDArray train = net.forward(x, true).output().eval();
        for (int ch = 0; ch < 2; ch++) {
            INDArray channel = train.get(org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.point(ch));
            assertEquals(0.0, channel.meanNumber().doubleValue(), 1e-12);
            double biasedVar = channel.mul(channel).meanNumber().doubleValue();
            INDArray raw = x0.get(org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.point(ch));
            double v = raw.varNumber().doubleValue() * (raw.length() - 1) / raw.length();
            assertEquals(v / (v + 1e-5), biasedVar, 1e-9);
        }
        net.runningStatistics(0).get(0).getArr().assign(Nd4j.createFromArray(1.0, -1.0));
        net.runningStatistics(0).get(1).getArr().assign(Nd4j.createFromArray(4.0, 9.0));
        INDArray eval = net.forward(x, false).output().eval();
        assertEquals((x0.getDouble(0, 1, 0, 0) + 1.0) / Math.sqrt(9.0 + 1e-5), eval.getDouble(0, 1, 0, 0), 1e-12);
    }
}
