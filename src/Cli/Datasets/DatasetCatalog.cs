using Engine.Data;
using Engine.IO;

namespace Engine.Cli.Datasets;

/// <summary>A dataset's train and test splits.</summary>
/// <param name="Name">The catalog name.</param>
/// <param name="Train">Training images.</param>
/// <param name="Test">Held-out images.</param>
/// <param name="ClassNames">Names of the classes, when known.</param>
internal sealed record DatasetSplits(string Name, ImageDataset Train, ImageDataset Test, IReadOnlyList<string> ClassNames);

/// <summary>
/// The datasets the command line knows by name. Two ship inside the tool (see
/// <c>Datasets/Embedded/README.md</c>): a 6,000 / 1,000 image subset of Fashion-MNIST and one T1
/// brain MRI with its brain mask. The full MNIST and Fashion-MNIST are read from IDX files that
/// <c>scripts/download-data.sh</c> puts in <c>data/</c>; <c>m2nist</c> is built from MNIST's
/// (<see cref="M2nistSplits"/>).
/// </summary>
internal static class DatasetCatalog
{
    internal const string FashionMnistSmall = "fashion-mnist-small";
    internal const string FashionMnist = "fashion-mnist";
    internal const string Mnist = "mnist";
    internal const string BrainMri = "brain-mri";
    internal const string M2nist = "m2nist";

    /// <summary>Known names.</summary>
    internal static IReadOnlyList<string> Names { get; } = [FashionMnistSmall, FashionMnist, Mnist, BrainMri, M2nist];

    /// <summary>
    /// M2NIST's sizes: 5,000 training composites of MNIST's training digits and 1,000 test
    /// composites of its test digits (disjoint sources), 1 to 3 digits on a 64 x 96 canvas (M2NIST's
    /// is 64 x 84: 96 lets five 2x2 poolings divide it), layout seeds 1 and 2.
    /// </summary>
    internal static readonly (int Train, int Test, int Height, int Width, int MaxDigits) M2nistSplits = (5000, 1000, 64, 96, 3);

    /// <summary>The slab of axial slices held out for testing the brain-MRI segmentation: z in [30, 42).</summary>
    internal static readonly Range BrainTestSlab = 30..42;

    private const string BrainImage = "KmeansTest_T1UCharRaw.nii", BrainMask = "KmeansTest_T1RawSkullStrip.nii";

    private static readonly string[] FashionClasses = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];
    private static readonly string[] DigitClasses = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

    /// <summary>
    /// Loads a dataset by name. <paramref name="dataDirectory"/> overrides where IDX or NIfTI files
    /// are looked for (default <c>data/&lt;name&gt;</c> under the current directory).
    /// </summary>
    /// <exception cref="ArgumentException">Unknown name.</exception>
    /// <exception cref="FileNotFoundException">Files missing; the message says how to get them.</exception>
    internal static DatasetSplits Load(string name, string? dataDirectory = null)
    {
        var splits = name.ToLowerInvariant() switch
        {
            FashionMnistSmall when dataDirectory is not null =>
                throw new ArgumentException($"{FashionMnistSmall} is embedded in the tool, so --data does not apply; for files in '{dataDirectory}' give --dataset {FashionMnist} or {Mnist}."),
            FashionMnistSmall => Classification(FashionMnistSmall, FashionClasses, part => Embedded(part)),
            FashionMnist => Classification(FashionMnist, FashionClasses, part => FromDirectory(dataDirectory ?? Path.Combine("data", FashionMnist), part)),
            Mnist => Classification(Mnist, DigitClasses, part => FromDirectory(dataDirectory ?? Path.Combine("data", Mnist), part)),
            BrainMri => BrainSlices(BrainMri, dataDirectory),
            M2nist => Composites(Classification(Mnist, DigitClasses, part => FromDirectory(dataDirectory ?? Path.Combine("data", Mnist), part))),
            _ => throw new ArgumentException($"Unknown dataset '{name}'. Known datasets: {string.Join(", ", Names)}."),
        };
        var (train, test) = (splits.Train, splits.Test);
        if (train.Channels != test.Channels || train.Height != test.Height || train.Width != test.Width)
            throw new InvalidDataException($"{splits.Name}: the training images are {train.Channels}x{train.Height}x{train.Width} but the test images {test.Channels}x{test.Height}x{test.Width}; both splits must have one size.");
        return splits;
    }

    /// <summary>
    /// The files a dataset is read from that exist (none for the embedded ones): what a command
    /// that reads the dataset must not write over.
    /// </summary>
    internal static IEnumerable<string> Files(string name, string? dataDirectory)
    {
        string[] files = name.ToLowerInvariant() switch
        {
            FashionMnist or Mnist or M2nist => ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "test-images-idx3-ubyte", "test-labels-idx1-ubyte"],
            BrainMri when dataDirectory is not null => [BrainImage, BrainMask],
            _ => [],
        };
        string? folder = dataDirectory ?? DefaultFolder(name);
        return folder is null ? [] : files.SelectMany(f => Candidates(folder, f)).Where(File.Exists);
    }

    /// <summary>Where a dataset's files are read from without <c>--data</c> (<c>data/&lt;name&gt;</c>; m2nist from MNIST's), or null for an embedded one.</summary>
    internal static string? DefaultFolder(string name) => name.ToLowerInvariant() switch
    {
        FashionMnist => Path.Combine("data", FashionMnist),
        Mnist or M2nist => Path.Combine("data", Mnist),
        _ => null,
    };

    /// <summary>
    /// The dataset a <c>--data</c> folder holds, when its files say it: the brain MRI by its file
    /// names. IDX files could be MNIST or Fashion-MNIST, which differ only in what the classes mean,
    /// so for them the caller must say which.
    /// </summary>
    /// <exception cref="ArgumentException">The folder's files do not name one dataset.</exception>
    internal static string Infer(string dataDirectory)
    {
        if (!Directory.Exists(dataDirectory))
            throw new DirectoryNotFoundException($"--data '{dataDirectory}' is not a folder. Run scripts/download-data.sh to fetch the datasets.");
        bool Has(string file) => Candidates(dataDirectory, file).Any(File.Exists);
        if (Has(BrainImage))
            return BrainMri;
        if (Has("train-images-idx3-ubyte"))
            throw new ArgumentException($"--data '{dataDirectory}' holds IDX images, which may be MNIST or Fashion-MNIST: say which with --dataset {Mnist} or --dataset {FashionMnist}.");
        throw new ArgumentException($"--data '{dataDirectory}' holds none of the files of a known dataset (train-images-idx3-ubyte[.gz], {BrainImage}); give --dataset.");
    }

    private static DatasetSplits Classification(string name, string[] classes, Func<string, (Stream Stream, string Source)> open)
    {
        ImageDataset Split(string prefix)
        {
            var (imageStream, imageSource) = open($"{prefix}-images-idx3-ubyte");
            NpyArray images;
            using (imageStream)
                images = IdxFile.ReadImages(imageStream, imageSource);
            var (labelStream, labelSource) = open($"{prefix}-labels-idx1-ubyte");
            int[] labels;
            using (labelStream)
                labels = IdxFile.ReadLabels(labelStream, labelSource);
            if (labels.Length != images.Shape[0])
                throw new InvalidDataException($"'{labelSource}' has {labels.Length} labels for the {images.Shape[0]} images of '{imageSource}'.");
            int outside = Array.FindIndex(labels, l => l >= classes.Length);
            if (outside >= 0)
                throw new InvalidDataException($"'{labelSource}' holds label {labels[outside]} (image {outside}), but {name} has {classes.Length} classes (labels 0 to {classes.Length - 1}).");
            return new ImageDataset(images.Data, images.Shape[0], 1, images.Shape[2], images.Shape[3], classes.Length, labels);
        }

        return new DatasetSplits(name, Split("train"), Split("test"), classes);
    }

    /// <summary>M2NIST-style composites (<see cref="DigitComposites"/>) of a digit dataset's splits, each from its own split.</summary>
    private static DatasetSplits Composites(DatasetSplits digits)
    {
        var (train, test, height, width, most) = M2nistSplits;
        return new DatasetSplits(M2nist, DigitComposites.Build(digits.Train, train, height, width, seed: 1, most),
            DigitComposites.Build(digits.Test, test, height, width, seed: 2, most), DigitComposites.ClassNames(digits.ClassNames));
    }

    /// <summary>
    /// 128 x 128 axial slices of one T1 MRI (intensities / 255) with the brain mask (class 1 where the
    /// skull-stripped volume is above 0). Train on every slice outside <see cref="BrainTestSlab"/>, test on it.
    /// </summary>
    private static DatasetSplits BrainSlices(string name, string? dataDirectory)
    {
        const string image = BrainImage, mask = BrainMask;
        NiftiVolume Read(string file)
        {
            var (stream, source) = dataDirectory is null ? Embedded(file) : FromDirectory(dataDirectory, file);
            using (stream)
                return NiftiFile.Read(stream, source);
        }

        var t1 = Read(image);
        var brain = Read(mask);
        if (t1.X != brain.X || t1.Y != brain.Y || t1.Z != brain.Z)
            throw new InvalidDataException($"The MRI is {t1.X}x{t1.Y}x{t1.Z} but its mask {brain.X}x{brain.Y}x{brain.Z}.");
        var (testStart, testEnd) = (BrainTestSlab.Start.Value, BrainTestSlab.End.Value);
        if (t1.Z <= testEnd)
            throw new InvalidDataException($"The MRI has {t1.Z} slices, but the held-out slab is z in [{testStart}, {testEnd}) and training needs slices outside it: more than {testEnd} are needed.");
        float max = t1.Data.Max();
        if (!(max > 0))
            throw new InvalidDataException($"The MRI's largest intensity is {max}; images are scaled by it, so it must be positive.");
        ImageDataset Slices(IEnumerable<int> zs)
        {
            var list = zs.ToList();
            int plane = t1.X * t1.Y;
            var pixels = new float[list.Count * plane];
            var labels = new int[list.Count * plane];
            for (int i = 0; i < list.Count; i++)
            {
                var slice = t1.Slice(list[i]);
                var truth = brain.Slice(list[i]);
                for (int p = 0; p < plane; p++)
                {
                    pixels[i * plane + p] = slice[p] / max;
                    labels[i * plane + p] = truth[p] > 0 ? 1 : 0;
                }
            }
            return new ImageDataset(pixels, list.Count, 1, t1.Y, t1.X, 2, masks: labels);
        }

        var train = Slices(Enumerable.Range(0, t1.Z).Where(z => z < testStart || z >= testEnd));
        var test = Slices(Enumerable.Range(testStart, testEnd - testStart));
        return new DatasetSplits(name, train, test, ["background", "brain"]);
    }

    private static (Stream, string) Embedded(string file)
    {
        string resource = file.EndsWith(".gz", StringComparison.Ordinal) ? file : file + ".gz";
        var stream = typeof(DatasetCatalog).Assembly.GetManifestResourceStream($"Engine.Cli.Datasets.Embedded.{resource}")
            ?? throw new FileNotFoundException($"The embedded dataset file '{resource}' is missing from the build.");
        return (stream, $"embedded {resource}");
    }

    private static (Stream, string) FromDirectory(string directory, string file)
    {
        string? found = Candidates(directory, file).FirstOrDefault(File.Exists);
        if (found is null)
            throw new FileNotFoundException($"'{Path.Combine(directory, file)}[.gz]' does not exist. Run scripts/download-data.sh to fetch the datasets, or pass --data DIR.");
        return (Engine.IO.RegularFile.OpenRead(found), found);
    }

    /// <summary>Where a dataset file may be: plain or gzipped, with MNIST's <c>t10k-</c> names for the test split.</summary>
    private static IEnumerable<string> Candidates(string directory, string file)
    {
        foreach (string name in new[] { file, file.Replace("test-", "t10k-", StringComparison.Ordinal) }.Distinct())
        {
            yield return Path.Combine(directory, name);
            yield return Path.Combine(directory, name + ".gz");
        }
    }
}
