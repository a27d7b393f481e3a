using System;
using System.IO;
using System.Linq;
using static System.FormattableString;

namespace FusedOps.Data;

/// <summary>
/// Labelled 8-bit images, <c>[count, channels, height, width]</c> row-major, as MNIST-style data sets
/// store them. <see cref="MinibatchLoader"/> turns them into normalised float batches.
/// </summary>
public sealed class ImageDataset
{
    /// <summary>Wraps pixels and labels (not copied).</summary>
    /// <param name="pixels">count × channels × height × width bytes.</param>
    /// <param name="labels">One class index per image.</param>
    /// <param name="channels">Channels per image, at least 1.</param>
    /// <param name="height">Rows per image, at least 1.</param>
    /// <param name="width">Columns per image, at least 1.</param>
    /// <exception cref="ArgumentException">The lengths do not agree.</exception>
    public ImageDataset(byte[] pixels, byte[] labels, int channels, int height, int width)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        ArgumentNullException.ThrowIfNull(labels);
        if (channels < 1 || height < 1 || width < 1)
        {
            throw new ArgumentException(Invariant($"channels, height and width must be at least 1, got {channels}×{height}×{width}."), nameof(channels));
        }

        long perImage = (long)channels * height * width;
        if (pixels.Length != labels.Length * perImage)
        {
            throw new ArgumentException(Invariant($"pixels length must be labels ({labels.Length}) × {channels}×{height}×{width} = {labels.Length * perImage}, got {pixels.Length}."), nameof(pixels));
        }

        Pixels = pixels;
        Labels = labels;
        Channels = channels;
        Height = height;
        Width = width;
        Classes = labels.Length == 0 ? 0 : labels.Max() + 1;
    }

    /// <summary>The images, row-major.</summary>
    public byte[] Pixels { get; }

    /// <summary>The labels.</summary>
    public byte[] Labels { get; }

    /// <summary>Channels per image.</summary>
    public int Channels { get; }

    /// <summary>Rows per image.</summary>
    public int Height { get; }

    /// <summary>Columns per image.</summary>
    public int Width { get; }

    /// <summary>Number of images.</summary>
    public int Count => Labels.Length;

    /// <summary>Largest label + 1.</summary>
    public int Classes { get; }

    /// <summary>Bytes per image.</summary>
    public int ImageLength => Channels * Height * Width;

    /// <summary>
    /// Reads an MNIST-style pair: an images file <c>[count, height, width]</c> (magic 0x00000803) and a
    /// labels file <c>[count]</c> (0x00000801), raw or gzip.
    /// </summary>
    /// <exception cref="FileNotFoundException">A file is missing.</exception>
    /// <exception cref="InvalidDataException">A file is malformed, has the wrong rank, or the counts differ; the message names both files and counts.</exception>
    public static ImageDataset LoadIdx(string imagesPath, string labelsPath)
    {
        IdxTensor images = IdxReader.Read(imagesPath);
        IdxTensor labels = IdxReader.Read(labelsPath);
        if (images.Shape.Length != 3)
        {
            throw new InvalidDataException(Invariant($"'{imagesPath}' must hold images [count, height, width], got {images.Shape.Length} dimensions [{string.Join(", ", images.Shape)}]."));
        }

        if (labels.Shape.Length != 1)
        {
            throw new InvalidDataException(Invariant($"'{labelsPath}' must hold labels [count], got {labels.Shape.Length} dimensions [{string.Join(", ", labels.Shape)}]."));
        }

        if (images.Shape[0] != labels.Shape[0])
        {
            throw new InvalidDataException(Invariant($"'{imagesPath}' has {images.Shape[0]} images but '{labelsPath}' has {labels.Shape[0]} labels; they must be the same count."));
        }

        return new ImageDataset(images.Data, labels.Data, 1, images.Shape[1], images.Shape[2]);
    }

    /// <summary>The first <paramref name="count"/> images (copied).</summary>
    public ImageDataset Take(int count)
    {
        if (count < 0 || count > Count)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, Invariant($"count must be in [0, {Count}], got {count}."));
        }

        return new ImageDataset(Pixels.AsSpan(0, count * ImageLength).ToArray(), Labels.AsSpan(0, count).ToArray(), Channels, Height, Width);
    }
}

/// <summary>Fashion-MNIST (Zalando): file names, class names and the usual normalisation.</summary>
public static class FashionMnist
{
    /// <summary>Where Debian's <c>dataset-fashion-mnist</c> package installs the files.</summary>
    public const string DebianDirectory = "/usr/share/datasets/fashion-mnist";

    /// <summary>Mean of the training pixels scaled to [0, 1].</summary>
    public const float Mean = 0.2860f;

    /// <summary>Standard deviation of the training pixels scaled to [0, 1].</summary>
    public const float StandardDeviation = 0.3530f;

    /// <summary>The ten classes, by label.</summary>
    public static readonly string[] ClassNames = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>The four files, without the optional <c>.gz</c>.</summary>
    public static readonly string[] FileNames = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"];

    /// <summary>The files of <see cref="FileNames"/> missing from <paramref name="directory"/> (neither raw nor .gz).</summary>
    public static string[] MissingFiles(string directory) =>
        FileNames.Where(f => Find(directory, f) is null).ToArray();

    /// <summary>Loads the training (60,000) or test (10,000) split from <paramref name="directory"/>.</summary>
    /// <exception cref="FileNotFoundException">A file is missing; the message says how to get it.</exception>
    public static ImageDataset Load(string directory, bool train)
    {
        ArgumentNullException.ThrowIfNull(directory);
        string prefix = train ? "train" : "t10k";
        string images = Find(directory, prefix + "-images-idx3-ubyte") ?? throw Missing(directory, prefix + "-images-idx3-ubyte");
        string labels = Find(directory, prefix + "-labels-idx1-ubyte") ?? throw Missing(directory, prefix + "-labels-idx1-ubyte");
        return ImageDataset.LoadIdx(images, labels);
    }

    private static string? Find(string directory, string name) =>
        new[] { name, name + ".gz" }.Select(n => Path.Combine(directory, n)).FirstOrDefault(File.Exists);

    private static FileNotFoundException Missing(string directory, string name) => new(
        $"Fashion-MNIST file '{name}' (or '{name}.gz') is not in '{directory}'. Install Debian's package (apt-get install dataset-fashion-mnist, files in {DebianDirectory}) or download the four files from https://github.com/zalandoresearch/fashion-mnist.",
        Path.Combine(directory, name));
}
