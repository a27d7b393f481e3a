using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;
using static System.FormattableString;

namespace FusedOps.Serialization;

/// <summary>
/// Writes F32 safetensors files the way the reference implementation does: tensors sorted by
/// name (bytewise on UTF-8, i.e. ordinal), <c>__metadata__</c> first, compact JSON escaped as
/// serde_json escapes it, the header padded with spaces to a multiple of 8 so the data is aligned.
/// Everything is validated before the first byte is written.
/// </summary>
internal static class SafeTensorsWriter
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>A validated file: the length prefix and header, then the tensors' data in order.</summary>
    internal sealed record Prepared(byte[] Header, float[][] Data);

    public static Prepared Prepare(IEnumerable<(string Name, int[] Shape, float[] Data)> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var items = new List<(byte[] Key, string Name, int[] Shape, float[] Data)>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach ((string name, int[] shape, float[] data) in tensors)
        {
            int index = items.Count;
            if (name is null || shape is null || data is null)
            {
                string field = name is null ? "Name" : shape is null ? "Shape" : "Data";
                throw new ArgumentException(Invariant($"Tensor {index} ('{name}') has a null {field}."), nameof(tensors));
            }

            if (name == SafeTensorsReader.MetadataKey)
            {
                throw new ArgumentException($"Tensor {index} is named '{name}', which is reserved for the metadata.", nameof(tensors));
            }

            if (!names.Add(name))
            {
                throw new ArgumentException($"Tensor name '{name}' appears twice; names must be unique.", nameof(tensors));
            }

            long count = 1;
            foreach (int d in shape)
            {
                if (d < 0)
                {
                    throw new ArgumentException($"Tensor '{name}': shape {Parameter.FormatShape(shape)} has a negative dimension.", nameof(tensors));
                }

                // long.MaxValue stands for "more than an array holds"; a later 0 still makes it 0.
                count = d == 0 ? 0 : count > int.MaxValue / d ? long.MaxValue : count * d;
            }

            if (count != data.Length)
            {
                throw new ArgumentException(Invariant($"Tensor '{name}': shape {Parameter.FormatShape(shape)} has {(count == long.MaxValue ? "too many" : count.ToString(CultureInfo.InvariantCulture))} elements, but Data has {data.Length}."), nameof(tensors));
            }

            items.Add((Encode(name, $"Tensor name '{name}'", nameof(tensors)), name, (int[])shape.Clone(), data));
        }

        var meta = new List<(byte[] Key, string Name, string Value)>();
        if (metadata is not null)
        {
            foreach (KeyValuePair<string, string> pair in metadata)
            {
                if (pair.Key is null || pair.Value is null)
                {
                    throw new ArgumentException($"Metadata entry '{pair.Key}' has a null {(pair.Key is null ? "key" : "value")}.", nameof(metadata));
                }

                Encode(pair.Value, $"Metadata value of '{pair.Key}'", nameof(metadata));
                meta.Add((Encode(pair.Key, $"Metadata key '{pair.Key}'", nameof(metadata)), pair.Key, pair.Value));
            }
        }

        // Ordinal on UTF-8 bytes: the order of Rust's String comparison.
        items.Sort(static (a, b) => a.Key.AsSpan().SequenceCompareTo(b.Key));
        meta.Sort(static (a, b) => a.Key.AsSpan().SequenceCompareTo(b.Key));

        var json = new StringBuilder("{");
        if (meta.Count > 0)
        {
            json.Append("\"" + SafeTensorsReader.MetadataKey + "\":{");
            for (int i = 0; i < meta.Count; i++)
            {
                json.Append(i == 0 ? "" : ",");
                AppendString(json, meta[i].Name);
                json.Append(':');
                AppendString(json, meta[i].Value);
            }

            json.Append('}');
        }

        long offset = 0;
        var ordered = new float[items.Count][];
        for (int i = 0; i < items.Count; i++)
        {
            json.Append(i == 0 && meta.Count == 0 ? "" : ",");
            AppendString(json, items[i].Name);
            json.Append(":{\"dtype\":\"F32\",\"shape\":[");
            json.AppendJoin(',', items[i].Shape);
            long end = offset + (4L * items[i].Data.Length);
            json.Append(CultureInfo.InvariantCulture, $"],\"data_offsets\":[{offset},{end}]}}");
            offset = end;
            ordered[i] = items[i].Data;
        }

        json.Append('}');
        int jsonLength = StrictUtf8.GetByteCount(json.ToString());
        int padded = (jsonLength + 7) & ~7;
        if (padded > SafeTensorsFile.MaxHeaderLength)
        {
            throw new ArgumentException(Invariant($"The header would be {padded} bytes, more than the limit of {SafeTensorsFile.MaxHeaderLength}."), nameof(tensors));
        }

        var header = new byte[8 + padded];
        BinaryPrimitives.WriteUInt64LittleEndian(header, (ulong)padded);
        StrictUtf8.GetBytes(json.ToString(), header.AsSpan(8));
        header.AsSpan(8 + jsonLength).Fill((byte)' ');
        return new Prepared(header, ordered);
    }

    public static void WriteTo(Stream stream, Prepared prepared)
    {
        stream.Write(prepared.Header);
        if (BitConverter.IsLittleEndian)
        {
            foreach (float[] tensor in prepared.Data)
            {
                stream.Write(MemoryMarshal.AsBytes(tensor.AsSpan()));
            }

            return;
        }

        var buffer = new byte[4096];
        foreach (float[] tensor in prepared.Data)
        {
            for (int start = 0; start < tensor.Length; start += buffer.Length / 4)
            {
                int n = Math.Min(buffer.Length / 4, tensor.Length - start);
                for (int i = 0; i < n; i++)
                {
                    BinaryPrimitives.WriteSingleLittleEndian(buffer.AsSpan(4 * i), tensor[start + i]);
                }

                stream.Write(buffer, 0, 4 * n);
            }
        }
    }

    private static byte[] Encode(string text, string what, string paramName)
    {
        try
        {
            return StrictUtf8.GetBytes(text);
        }
        catch (EncoderFallbackException ex)
        {
            throw new ArgumentException($"{what} is not valid UTF-16 (it has an unpaired surrogate), so it cannot be written as UTF-8.", paramName, ex);
        }
    }

    /// <summary>A JSON string literal escaped exactly as serde_json escapes it.</summary>
    private static void AppendString(StringBuilder json, string text)
    {
        json.Append('"');
        foreach (char c in text)
        {
            switch (c)
            {
                case '"': json.Append("\\\""); break;
                case '\\': json.Append("\\\\"); break;
                case '\b': json.Append("\\b"); break;
                case '\f': json.Append("\\f"); break;
                case '\n': json.Append("\\n"); break;
                case '\r': json.Append("\\r"); break;
                case '\t': json.Append("\\t"); break;
                case < ' ': json.Append("\\u00").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture)); break;
                default: json.Append(c); break;
            }
        }

        json.Append('"');
    }
}
