using System;
using System.Buffers.Binary;
using System.IO;
using System.IO.Compression;
using System.Linq;
using FusedOps.Data;
using Xunit;

namespace FusedOps.Tests.Data;

public sealed class IdxReaderTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("fusedops-idx-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void LoadIdx_RawOrGzip_ReadsImagesAndLabels(bool gzip)
    {
        byte[] pixels = Enumerable.Range(0, 3 * 4 * 5).Select(i => (byte)(i * 4)).ToArray();
        string images = Write("images", Idx(3, [3, 4, 5], pixels), gzip);
        string labels = Write("labels", Idx(1, [3], [7, 0, 2]), gzip);

        ImageDataset data = ImageDataset.LoadIdx(images, labels);

        Assert.Equal((3, 1, 4, 5), (data.Count, data.Channels, data.Height, data.Width));
        Assert.Equal(pixels, data.Pixels);
        Assert.Equal(new byte[] { 7, 0, 2 }, data.Labels);
        Assert.Equal(8, data.Classes);
    }

    [Fact]
    public void Read_BadMagic_SaysWhatItExpectedAndGot()
    {
        byte[] bytes = Idx(3, [1, 2, 2], new byte[4]);
        bytes[0] = 0x12;
        string path = Write("bad", bytes, gzip: false);

        var ex = Assert.Throws<InvalidDataException>(() => IdxReader.Read(path));

        Assert.Contains($"'{path}' is not an IDX file", ex.Message, StringComparison.Ordinal);
        Assert.Contains("00000803 for MNIST images", ex.Message, StringComparison.Ordinal);
        Assert.Contains("got 12000803", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Read_TruncatedData_SaysHowManyBytesHeaderNeedsAndFileHas(bool gzip)
    {
        byte[] full = Idx(3, [2, 3, 3], new byte[18]);
        string path = Write("short", full[..^5], gzip);

        var ex = Assert.Throws<InvalidDataException>(() => IdxReader.Read(path));

        Assert.Contains("is truncated: its header says [2, 3, 3] = 18 bytes of data, the file has 13", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_TruncatedGzipStream_IsReportedAsTruncated()
    {
        byte[] compressed = File.ReadAllBytes(Write("whole", Idx(1, [1000], Enumerable.Range(0, 1000).Select(i => (byte)(i * 7)).ToArray()), gzip: true));
        string path = Path.Combine(_directory, "cut.gz");
        File.WriteAllBytes(path, compressed[..(compressed.Length / 2)]);

        var ex = Assert.Throws<InvalidDataException>(() => IdxReader.Read(path));

        Assert.Contains($"'{path}' is truncated", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_CorruptGzipStream_SaysItDoesNotDecompress()
    {
        byte[] compressed = File.ReadAllBytes(Write("whole", Idx(1, [1000], new byte[1000]), gzip: true));
        compressed[10] = 0xFF; // first deflate block header: BTYPE = 11, which is invalid

        string path = Path.Combine(_directory, "corrupt.gz");
        File.WriteAllBytes(path, compressed);

        var ex = Assert.Throws<InvalidDataException>(() => IdxReader.Read(path));

        Assert.Contains("starts like gzip but does not decompress", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadIdx_MismatchedCounts_NamesBothFilesAndCounts()
    {
        string images = Write("images", Idx(3, [3, 2, 2], new byte[12]), gzip: false);
        string labels = Write("labels", Idx(1, [2], [1, 2]), gzip: false);

        var ex = Assert.Throws<InvalidDataException>(() => ImageDataset.LoadIdx(images, labels));

        Assert.Equal($"'{images}' has 3 images but '{labels}' has 2 labels; they must be the same count.", ex.Message);
    }

    [Fact]
    public void LoadIdx_LabelsAsImages_RejectsTheRank()
    {
        string labels = Write("labels", Idx(1, [2], [1, 2]), gzip: false);

        var ex = Assert.Throws<InvalidDataException>(() => ImageDataset.LoadIdx(labels, labels));

        Assert.Contains("must hold images [count, height, width], got 1 dimensions [2]", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FashionMnistLoad_MissingDirectory_SaysHowToGetTheFiles()
    {
        var ex = Assert.Throws<FileNotFoundException>(() => FashionMnist.Load(_directory, train: true));

        Assert.Contains("apt-get install dataset-fashion-mnist", ex.Message, StringComparison.Ordinal);
        Assert.Equal(4, FashionMnist.MissingFiles(_directory).Length);
    }

    /// <summary>An IDX file: magic 00 00 08 rank, big-endian dimensions, data.</summary>
    internal static byte[] Idx(byte rank, int[] shape, byte[] data)
    {
        var bytes = new byte[4 + (4 * shape.Length) + data.Length];
        bytes[2] = 0x08;
        bytes[3] = rank;
        for (int d = 0; d < shape.Length; d++)
        {
            BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + (4 * d)), shape[d]);
        }

        data.CopyTo(bytes, 4 + (4 * shape.Length));
        return bytes;
    }

    private string Write(string name, byte[] bytes, bool gzip)
    {
        string path = Path.Combine(_directory, name + (gzip ? ".gz" : ""));
        using var file = File.Create(path);
        if (gzip)
        {
            using var compressor = new GZipStream(file, CompressionLevel.Fastest);
            compressor.Write(bytes);
        }
        else
        {
            file.Write(bytes);
        }

        return path;
    }
}
