using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using Xunit;

namespace FusedOps.Tests;

// TODO: switch to FusedOps.Serialization once merged
/// <summary>
/// A minimal safetensors reader for the fixtures, private to the tests until the project's own
/// reader lands: 8-byte little-endian header length, a JSON header
/// {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}}, then the data.
/// Only F32 and F64, as the fixtures use.
/// </summary>
internal sealed class FixtureFile
{
    private readonly Dictionary<string, (string DType, int[] Shape, byte[] Bytes)> _tensors = new(StringComparer.Ordinal);

    private FixtureFile(string name) => Name = name;

    public string Name { get; }

    public Dictionary<string, string> Metadata { get; } = new(StringComparer.Ordinal);

    public IEnumerable<string> TensorNames => _tensors.Keys;

    /// <summary>The fixtures copied next to the test assembly.</summary>
    public static string Directory => Path.Combine(AppContext.BaseDirectory, "Fixtures");

    public static FixtureFile Load(string fileName)
    {
        byte[] bytes = File.ReadAllBytes(Path.Combine(Directory, fileName));
        long headerLength = BinaryPrimitives.ReadInt64LittleEndian(bytes);
        int dataStart = checked(8 + (int)headerLength);
        var file = new FixtureFile(fileName);
        using JsonDocument header = JsonDocument.Parse(bytes.AsMemory(8, (int)headerLength));
        foreach (JsonProperty entry in header.RootElement.EnumerateObject())
        {
            if (entry.Name == "__metadata__")
            {
                foreach (JsonProperty m in entry.Value.EnumerateObject())
                {
                    file.Metadata[m.Name] = m.Value.GetString()!;
                }

                continue;
            }

            string dtype = entry.Value.GetProperty("dtype").GetString()!;
            int[] shape = entry.Value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()).ToArray();
            long[] offsets = entry.Value.GetProperty("data_offsets").EnumerateArray().Select(d => d.GetInt64()).ToArray();
            byte[] data = bytes.AsSpan(dataStart + (int)offsets[0], (int)(offsets[1] - offsets[0])).ToArray();
            file._tensors.Add(entry.Name, (dtype, shape, data));
        }

        return file;
    }

    public bool Contains(string name) => _tensors.ContainsKey(name);

    public int[] Shape(string name) => _tensors[name].Shape;

    public float[] Single(string name)
    {
        (string dtype, _, byte[] data) = _tensors[name];
        Assert.Equal("F32", dtype);
        var values = new float[data.Length / 4];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = BinaryPrimitives.ReadSingleLittleEndian(data.AsSpan(4 * i));
        }

        return values;
    }

    public double[] Double(string name)
    {
        (string dtype, _, byte[] data) = _tensors[name];
        if (dtype == "F32")
        {
            return Array.ConvertAll(Single(name), v => (double)v);
        }

        Assert.Equal("F64", dtype);
        var values = new double[data.Length / 8];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = BinaryPrimitives.ReadDoubleLittleEndian(data.AsSpan(8 * i));
        }

        return values;
    }

    public override string ToString() => Name;
}
