using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text.Json;
using System.Text.Unicode;

namespace FusedOps.Serialization;

/// <summary>
/// Parses and validates a safetensors image held in memory, as strictly as the reference (Rust)
/// implementation: an 8-byte little-endian header length (at most
/// <see cref="SafeTensorsFile.MaxHeaderLength"/>, within the file), a UTF-8 JSON object, known
/// dtypes, and tensors whose byte ranges exactly tile the data section.
/// </summary>
internal static class SafeTensorsReader
{
    public const string MetadataKey = "__metadata__";

    /// <summary>Parses <paramref name="file"/>; the tensors keep slices of it, it is not copied.</summary>
    /// <param name="file">The whole file.</param>
    /// <param name="source">What to call the file in error messages, e.g. <c>safetensors file 'a.safetensors'</c>.</param>
    public static (Dictionary<string, string> Metadata, SafeTensor[] Tensors) Parse(ReadOnlyMemory<byte> file, string source)
    {
        if (file.Length < 8)
        {
            throw Error(source, $"is {file.Length} bytes long; a safetensors file starts with an 8-byte header length");
        }

        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(file.Span);
        if (headerLength > SafeTensorsFile.MaxHeaderLength)
        {
            throw Error(source, $"header length is {headerLength} bytes, expected at most {SafeTensorsFile.MaxHeaderLength}");
        }

        if (headerLength > (ulong)(file.Length - 8))
        {
            throw Error(source, $"header length is {headerLength} bytes, but only {file.Length - 8} bytes follow the 8-byte length prefix");
        }

        ReadOnlyMemory<byte> header = file.Slice(8, (int)headerLength);
        ReadOnlyMemory<byte> data = file.Slice(8 + (int)headerLength);
        if (header.Length == 0 || header.Span[0] != (byte)'{')
        {
            string actual = header.Length == 0 ? "an empty header" : $"byte 0x{header.Span[0]:X2}";
            throw Error(source, $"header must be a JSON object starting with '{{', got {actual}");
        }

        if (!Utf8.IsValid(header.Span))
        {
            throw Error(source, $"header is not valid UTF-8");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(header);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException(Capitalize(source) + ": header is not valid JSON: " + ex.Message, ex);
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw Error(source, $"header must be a JSON object, got {document.RootElement.ValueKind}");
            }

            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var entries = new List<Entry>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (JsonProperty property in document.RootElement.EnumerateObject())
            {
                if (!seen.Add(property.Name))
                {
                    throw Error(source, $"header has the key '{property.Name}' twice");
                }

                if (property.Name == MetadataKey)
                {
                    ReadMetadata(property.Value, metadata, source);
                }
                else
                {
                    entries.Add(ReadEntry(property.Name, property.Value, data.Length, source));
                }
            }

            CheckTiling(entries, data.Length, source);

            var tensors = new SafeTensor[entries.Count];
            for (int i = 0; i < tensors.Length; i++)
            {
                Entry e = entries[i];
                tensors[i] = new SafeTensor(e.Name, e.DTypeName, e.DType, e.Shape, e.ElementCount, data.Slice((int)e.Begin, (int)(e.End - e.Begin)));
            }

            return (metadata, tensors);
        }
    }

    private static void ReadMetadata(JsonElement value, Dictionary<string, string> metadata, string source)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw Error(source, $"'{MetadataKey}' must be a JSON object of strings, got {value.ValueKind}");
        }

        foreach (JsonProperty item in value.EnumerateObject())
        {
            if (item.Value.ValueKind != JsonValueKind.String)
            {
                throw Error(source, $"'{MetadataKey}' entry '{item.Name}' must be a string, got {item.Value.ValueKind}");
            }

            if (!metadata.TryAdd(item.Name, item.Value.GetString()!))
            {
                throw Error(source, $"'{MetadataKey}' has the key '{item.Name}' twice");
            }
        }
    }

    private static Entry ReadEntry(string name, JsonElement value, int dataLength, string source)
    {
        string what = $"tensor '{name}'";
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw Error(source, $"{what} must be a JSON object with dtype, shape and data_offsets, got {value.ValueKind}");
        }

        JsonElement? dtypeElement = null, shapeElement = null, offsetsElement = null;
        foreach (JsonProperty field in value.EnumerateObject())
        {
            // Unknown fields are ignored, as the reference implementation ignores them.
            ref JsonElement? slot = ref dtypeElement;
            switch (field.Name)
            {
                case "dtype": break;
                case "shape": slot = ref shapeElement; break;
                case "data_offsets": slot = ref offsetsElement; break;
                default: continue;
            }

            if (slot is not null)
            {
                throw Error(source, $"{what} has the field '{field.Name}' twice");
            }

            slot = field.Value;
        }

        if (dtypeElement is not { ValueKind: JsonValueKind.String } dtypeValue)
        {
            throw Error(source, $"{what}: 'dtype' must be a string, got {Describe(dtypeElement)}");
        }

        string dtypeName = dtypeValue.GetString()!;
        if (!SafeTensorsDTypes.TryParse(dtypeName, out SafeTensorsDType dtype))
        {
            throw Error(source, $"{what}: unknown dtype '{dtypeName}', expected one of {SafeTensorsDTypes.KnownNames}");
        }

        if (shapeElement is not { ValueKind: JsonValueKind.Array } shapeValue)
        {
            throw Error(source, $"{what}: 'shape' must be an array of non-negative integers, got {Describe(shapeElement)}");
        }

        var shape = new int[shapeValue.GetArrayLength()];
        long elementCount = 1;
        int d = 0;
        foreach (JsonElement dim in shapeValue.EnumerateArray())
        {
            if (dim.ValueKind != JsonValueKind.Number || !dim.TryGetInt32(out int size) || size < 0)
            {
                throw Error(source, $"{what}: 'shape' dimension {d} must be an integer in [0, {int.MaxValue}], got {dim.GetRawText()}");
            }

            shape[d++] = size;
            elementCount = elementCount > long.MaxValue / Math.Max(size, 1)
                ? throw Error(source, $"{what}: shape {Parameter.FormatShape(shape)} has too many elements")
                : elementCount * size;
        }

        if (offsetsElement is not { ValueKind: JsonValueKind.Array } offsetsValue || offsetsValue.GetArrayLength() != 2)
        {
            throw Error(source, $"{what}: 'data_offsets' must be an array [begin, end], got {Describe(offsetsElement)}");
        }

        long begin = ReadOffset(offsetsValue[0], what, "begin", source);
        long end = ReadOffset(offsetsValue[1], what, "end", source);
        string range = $"data_offsets [{begin}, {end}]";
        if (end < begin)
        {
            throw Error(source, $"{what}: {range} end before they begin");
        }

        if (end > dataLength)
        {
            throw Error(source, $"{what}: {range} reach past the end of the data section, which is {dataLength} bytes");
        }

        int elementSize = SafeTensorsDTypes.Size(dtype);
        long expectedBytes = elementCount > long.MaxValue / elementSize ? long.MaxValue : elementCount * elementSize;
        if (end - begin != expectedBytes)
        {
            throw Error(source, $"{what}: {range} hold {end - begin} bytes, but {dtypeName} {Parameter.FormatShape(shape)} needs {elementCount} × {elementSize} = {expectedBytes}");
        }

        return new Entry(name, dtypeName, dtype, shape, elementCount, begin, end);
    }

    private static long ReadOffset(JsonElement element, string what, string which, string source) =>
        element.ValueKind == JsonValueKind.Number && element.TryGetInt64(out long value) && value >= 0
            ? value
            : throw Error(source, $"{what}: data_offsets {which} must be a non-negative integer, got {element.GetRawText()}");

    /// <summary>
    /// The byte ranges, in offset order, must cover the data section exactly: no overlap, no gap,
    /// nothing after the last tensor. This is the reference implementation's rule, so a file
    /// accepted here is accepted by PyTorch's safetensors too.
    /// </summary>
    private static void CheckTiling(List<Entry> entries, int dataLength, string source)
    {
        var order = entries.ToArray();
        Array.Sort(order, static (a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        long covered = 0;
        Entry? previous = null;
        foreach (Entry e in order)
        {
            if (e.Begin < covered)
            {
                throw Error(source, $"tensor '{e.Name}' data_offsets [{e.Begin}, {e.End}] overlap tensor '{previous!.Name}' data_offsets [{previous.Begin}, {previous.End}]");
            }

            if (e.Begin > covered)
            {
                throw Error(source, $"data section bytes [{covered}, {e.Begin}) belong to no tensor (the next is '{e.Name}' at {e.Begin})");
            }

            covered = e.End;
            previous = e;
        }

        if (covered != dataLength)
        {
            throw Error(source, $"data section is {dataLength} bytes, but the tensors cover only the first {covered}");
        }
    }

    private static string Describe(JsonElement? element) => element is { } e
        ? (e.ValueKind is JsonValueKind.Object or JsonValueKind.Array ? e.ValueKind.ToString() : e.GetRawText())
        : "nothing (missing)";

    private static string Capitalize(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..];

    private static InvalidDataException Error(string source, FormattableString message) =>
        new(Capitalize(source) + ": " + message.ToString(CultureInfo.InvariantCulture) + ".");

    private sealed record Entry(string Name, string DTypeName, SafeTensorsDType DType, int[] Shape, long ElementCount, long Begin, long End);
}
