using System;
using System.Buffers.Binary;
using System.IO;
using System.IO.Compression;
using static System.FormattableString;

namespace FusedOps.Data;

/// <summary>An unsigned-byte tensor read from an IDX file: its shape (big-endian dimensions from the header) and its data.</summary>
/// <param name="Shape">Dimensions, outermost first (e.g. <c>[60000, 28, 28]</c>).</param>
/// <param name="Data">Row-major bytes, the product of <paramref name="Shape"/> long.</param>
public sealed record IdxTensor(int[] Shape, byte[] Data);

/// <summary>
/// Reads the IDX format of MNIST and Fashion-MNIST (<c>train-images-idx3-ubyte</c> etc.), raw or
/// gzip-compressed (recognised by its first two bytes, whatever the file is called). Only the
/// unsigned-byte type (0x08) those data sets use is supported.
/// </summary>
public static class IdxReader
{
    private const byte UnsignedByte = 0x08;

    /// <summary>Reads an IDX file.</summary>
    /// <param name="path">The file, raw or gzip.</param>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    /// <exception cref="InvalidDataException">The magic number is wrong, the type is not unsigned bytes, or the data is shorter than the header says; the message names the file and both numbers.</exception>
    public static IdxTensor Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"IDX file '{path}' does not exist.", path);
        }

        byte[] bytes = File.ReadAllBytes(path);
        if (bytes.Length >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b)
        {
            try
            {
                using var gzip = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress);
                using var raw = new MemoryStream();
                gzip.CopyTo(raw);
                bytes = raw.ToArray();
            }
            catch (InvalidDataException e)
            {
                throw new InvalidDataException($"IDX file '{path}' starts like gzip but does not decompress ({e.Message}); is it truncated?", e);
            }
        }

        return Parse(bytes, path);
    }

    /// <summary>Parses the bytes of an uncompressed IDX file; <paramref name="source"/> names it in errors.</summary>
    /// <exception cref="InvalidDataException">See <see cref="Read"/>.</exception>
    public static IdxTensor Parse(ReadOnlySpan<byte> bytes, string source)
    {
        if (bytes.Length < 4 || bytes[0] != 0 || bytes[1] != 0 || bytes[3] == 0)
        {
            string got = bytes.Length < 4 ? Invariant($"only {bytes.Length} bytes") : Convert.ToHexString(bytes[..4]);
            throw new InvalidDataException($"'{source}' is not an IDX file: its magic number must be 0000TTDD (two zero bytes, the type, the number of dimensions; 00000803 for MNIST images, 00000801 for labels), got {got}.");
        }

        if (bytes[2] != UnsignedByte)
        {
            throw new InvalidDataException(Invariant($"'{source}': IDX type 0x{bytes[2]:X2} is not supported; MNIST-style files use 0x08 (unsigned bytes)."));
        }

        int rank = bytes[3];
        int headerLength = 4 + (4 * rank);
        if (bytes.Length < headerLength)
        {
            throw new InvalidDataException(Invariant($"'{source}' is truncated: its header needs {headerLength} bytes for {rank} dimensions, the file has {bytes.Length}."));
        }

        var shape = new int[rank];
        long count = 1;
        for (int d = 0; d < rank; d++)
        {
            shape[d] = BinaryPrimitives.ReadInt32BigEndian(bytes.Slice(4 + (4 * d)));
            if (shape[d] < 0)
            {
                throw new InvalidDataException(Invariant($"'{source}': dimension {d} is negative ({shape[d]})."));
            }

            count *= shape[d];
        }

        long available = bytes.Length - headerLength;
        if (available < count)
        {
            throw new InvalidDataException(Invariant($"'{source}' is truncated: its header says [{string.Join(", ", shape)}] = {count} bytes of data, the file has {available}."));
        }

        if (count > Array.MaxLength)
        {
            throw new InvalidDataException(Invariant($"'{source}': {count} elements are more than an array can hold."));
        }

        return new IdxTensor(shape, bytes.Slice(headerLength, (int)count).ToArray());
    }
}
