package featurealign.nn;

import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;

import static org.junit.jupiter.api.Assertions.*;

/** The paper's architectures, as data, have exactly the reference parameter counts (docs/method.md §8). */
class ArchitectureTest {

    @Test
    void mnistParameterCounts() {
        Architecture a = Architecture.MNIST;
        assertEquals(12_914_144, a.encoderTrunk().parameterCount());
        assertEquals(14_003_946, a.encoderParameterCount());
        assertEquals(160_305, a.generatorParameterCount());
        assertEquals(12_918_241, a.discriminator().parameterCount());
        assertEquals(13_438_560, a.memory().parameterCount());
        assertEquals(12, a.memory().layers().size());
    }

    @Test
    void cifar10ParameterCounts() {
        Architecture a = Architecture.CIFAR10;
        assertEquals(5_028_394, a.encoderParameterCount());
        assertEquals(1_411_715, a.generatorParameterCount());
        assertEquals(4_485_409, a.discriminator().parameterCount());
        assertEquals(4_745_632, a.memory().parameterCount());
        assertEquals(16, a.memory().layers().size());
    }

    @Test
    void celebaFamilyReachesFourByFour() {
        Architecture a = Architecture.celeba64(0);
        var shapes = a.encoderTrunk().shapes();
        assertEquals(Shape.image(256, 4, 4), shapes.get(16));
        assertEquals(Shape.vector(2048), a.encoderTrunk().output());
        assertNull(a.generatorLabelMap());
        assertEquals(3, a.generatorBody().input().dim(0));
    }

    @Test
    void declaredVariablesMatchTheSpecCounts() {
        SameDiff sd = SameDiff.create();
        Encoder enc = Encoder.declare(sd, Architecture.MNIST.withHidden(64), DataType.FLOAT);
        long n = 0;
        for (var v : enc.parameters()) n += v.getArr().length();
        assertEquals(Architecture.MNIST.withHidden(64).encoderParameterCount(), n);
    }

    @Test
    void badLayerStacksNameTheLayer() {
        var e = assertThrows(IllegalArgumentException.class, () -> new NetworkSpec("bad", Shape.image(3, 8, 8),
                java.util.List.of(new LayerSpec.Conv2d(1, 4, 3, 1, 1))));
        assertTrue(e.getMessage().contains("bad layer 0") && e.getMessage().contains("[1,H,W]"), e.getMessage());
        var d = assertThrows(IllegalArgumentException.class, () -> new NetworkSpec("mlp", Shape.vector(5),
                java.util.List.of(new LayerSpec.Dense(4, 2))));
        assertTrue(d.getMessage().contains("expects input [4]"), d.getMessage());
    }
}
