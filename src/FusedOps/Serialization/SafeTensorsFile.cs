using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Diagnostics.CodeAnalysis;
using System.IO;
using System.Linq;
using static System.FormattableString;

namespace FusedOps.Serialization;

/// <summary>
/// A <see href="https://github.com/huggingface/safetensors">safetensors</see> file read into
/// memory and validated: its <c>__metadata__</c> and its tensors, in the order the header lists
/// them. Writes F32 files with <see cref="Save"/> and <see cref="Write"/>.
/// </summary>
/// <remarks>
/// Reading is as strict as the reference implementation: a header length of at most
/// <see cref="MaxHeaderLength"/> bytes that fits in the file, a UTF-8 JSON object header, known
/// dtypes, shapes of non-negative integers, and byte ranges that match each tensor's size and
/// together cover the data section exactly (no overlap, no gap, no trailing bytes). Every
/// violation is an <see cref="InvalidDataException"/> naming the tensor or field. Values are
/// little-endian. The whole file is held in memory, so it must be smaller than 2 GB.
/// </remarks>
public sealed class SafeTensorsFile
{
    /// <summary>The largest header accepted or written, in bytes (the reference implementation's limit).</summary>
    public const int MaxHeaderLength = 100_000_000;

    private const int MaxNamesInMessage = 50;

    private readonly Dictionary<string, SafeTensor> _byName;

    private SafeTensorsFile(Dictionary<string, string> metadata, SafeTensor[] tensors)
    {
        Metadata = new ReadOnlyDictionary<string, string>(metadata);
        Tensors = Array.AsReadOnly(tensors);
        _byName = new Dictionary<string, SafeTensor>(tensors.Length, StringComparer.Ordinal);
        foreach (SafeTensor t in tensors)
        {
            _byName.Add(t.Name, t);
        }
    }

    /// <summary>The <c>__metadata__</c> string map; empty if the file has none.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The tensors, in the order the header lists them.</summary>
    public IReadOnlyList<SafeTensor> Tensors { get; }

    /// <summary>The tensor names, in the order of <see cref="Tensors"/>.</summary>
    public IEnumerable<string> Names => Tensors.Select(t => t.Name);

    /// <summary>The tensor with this name.</summary>
    /// <exception cref="KeyNotFoundException">No tensor has that name; the message lists the names there are.</exception>
    public SafeTensor this[string name] => TryGet(name, out SafeTensor? tensor)
        ? tensor
        : throw new KeyNotFoundException($"No tensor named '{name}' in the file. Names: {DescribeNames()}.");

    /// <summary>Reads and validates the safetensors file at <paramref name="path"/>.</summary>
    /// <exception cref="InvalidDataException">The file is not a valid safetensors file; the message names the file and the offending tensor or field.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static SafeTensorsFile Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        byte[] bytes = File.ReadAllBytes(path);
        return Create(bytes, $"safetensors file '{path}'");
    }

    /// <summary>Reads <paramref name="stream"/> from its current position to its end and validates it as a safetensors file.</summary>
    /// <exception cref="InvalidDataException">The data is not a valid safetensors file, or is 2 GB or larger.</exception>
    public static SafeTensorsFile Read(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        const string Source = "safetensors stream";
        if (stream.CanSeek)
        {
            long remaining = stream.Length - stream.Position;
            if (remaining > Array.MaxLength)
            {
                throw new InvalidDataException(Invariant($"Safetensors stream has {remaining} bytes left, more than this reader holds in memory ({Array.MaxLength})."));
            }

            var bytes = new byte[Math.Max(remaining, 0)];
            stream.ReadExactly(bytes);
            return Create(bytes, Source);
        }

        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return Create(copy.GetBuffer().AsMemory(0, (int)copy.Length), Source);
    }

    /// <summary>Validates <paramref name="bytes"/> as a safetensors file; the bytes are copied, so the span may be reused afterwards.</summary>
    /// <exception cref="InvalidDataException">The data is not a valid safetensors file; the message names the offending tensor or field.</exception>
    public static SafeTensorsFile Parse(ReadOnlySpan<byte> bytes) => Create(bytes.ToArray(), "safetensors data");

    /// <summary>
    /// Writes an F32 safetensors file at <paramref name="path"/>, replacing any file there; the
    /// arguments are validated before the file is opened. The layout is the reference
    /// implementation's (see <see cref="Write"/>).
    /// </summary>
    /// <param name="path">Where to write.</param>
    /// <param name="tensors">Unique names (not <c>__metadata__</c>), shapes of non-negative dimensions, row-major data of the shape's element count.</param>
    /// <param name="metadata">Optional <c>__metadata__</c> string map; omitted from the file when null or empty.</param>
    /// <exception cref="ArgumentException">A tensor or metadata entry is invalid; the message names it.</exception>
    public static void Save(string path, IEnumerable<(string Name, int[] Shape, float[] Data)> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        SafeTensorsWriter.Prepared prepared = SafeTensorsWriter.Prepare(tensors, metadata);
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None);
        SafeTensorsWriter.WriteTo(stream, prepared);
    }

    /// <summary>
    /// Writes an F32 safetensors file to <paramref name="stream"/>, byte for byte as Python's
    /// <c>safetensors.torch.save_file</c> lays it out: tensors and metadata keys sorted ordinally
    /// (bytewise on UTF-8), <c>__metadata__</c> first, compact JSON, the header padded with
    /// spaces to a multiple of 8, then the data, little-endian, in the same order. Everything
    /// is validated before anything is written. The stream is neither flushed nor closed.
    /// </summary>
    /// <param name="stream">Where to write.</param>
    /// <param name="tensors">Unique names (not <c>__metadata__</c>), shapes of non-negative dimensions, row-major data of the shape's element count.</param>
    /// <param name="metadata">Optional <c>__metadata__</c> string map; omitted when null or empty.</param>
    /// <exception cref="ArgumentException">A tensor or metadata entry is invalid; the message names it.</exception>
    public static void Write(Stream stream, IEnumerable<(string Name, int[] Shape, float[] Data)> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        SafeTensorsWriter.WriteTo(stream, SafeTensorsWriter.Prepare(tensors, metadata));
    }

    /// <summary>Looks a tensor up by name.</summary>
    public bool TryGet(string name, [MaybeNullWhen(false)] out SafeTensor tensor)
    {
        ArgumentNullException.ThrowIfNull(name);
        return _byName.TryGetValue(name, out tensor);
    }

    /// <summary>Whether a tensor has this name.</summary>
    public bool Contains(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return _byName.ContainsKey(name);
    }

    private static SafeTensorsFile Create(ReadOnlyMemory<byte> bytes, string source)
    {
        (Dictionary<string, string> metadata, SafeTensor[] tensors) = SafeTensorsReader.Parse(bytes, source);
        return new SafeTensorsFile(metadata, tensors);
    }

    private string DescribeNames()
    {
        if (Tensors.Count == 0)
        {
            return "(none)";
        }

        string shown = string.Join(", ", Names.Take(MaxNamesInMessage));
        return Tensors.Count > MaxNamesInMessage ? Invariant($"{shown}, ... ({Tensors.Count - MaxNamesInMessage} more)") : shown;
    }
}
