using System;
using System.Collections.Generic;
using System.Linq;

namespace FusedOps.MathAccuracy;

/// <summary>The arguments the accuracy measurements sweep, in batches whose length is a multiple of 16.</summary>
internal static class Sweep
{
    public const int BatchLength = 8192;

    /// <summary>Names of the four widths, in the order every measurement reports them.</summary>
    public static readonly string[] Widths = ["scalar", "128", "256", "512"];

    /// <summary>Every stride-th finite float (by bit pattern, both signs), the specials, then the floats around each edge; batches of a multiple of 16.</summary>
    public static IEnumerable<float[]> Points(long stride, IEnumerable<float> edges)
    {
        var batch = new List<float>(BatchLength);
        IEnumerable<float> all = SweptFloats(stride)
            .Concat([0f, -0f, float.PositiveInfinity, float.NegativeInfinity, float.NaN, float.MaxValue, -float.MaxValue, float.Epsilon, -float.Epsilon])
            .Concat(edges.SelectMany(Around));
        foreach (float v in all)
        {
            batch.Add(v);
            if (batch.Count == BatchLength)
            {
                yield return batch.ToArray();
                batch.Clear();
            }
        }

        while (batch.Count % 16 != 0)
        {
            batch.Add(batch[0]);
        }

        if (batch.Count > 0)
        {
            yield return batch.ToArray();
        }
    }

    private static IEnumerable<float> SweptFloats(long stride)
    {
        for (long bits = 0; bits <= uint.MaxValue; bits += stride)
        {
            float v = BitConverter.UInt32BitsToSingle((uint)bits);
            if (float.IsFinite(v))
            {
                yield return v;
            }
        }
    }

    private static IEnumerable<float> Around(float edge)
    {
        float v = edge;
        for (int i = 0; i < 512; i++)
        {
            v = MathF.BitDecrement(v);
        }

        for (int i = 0; i < 1024; i++, v = MathF.BitIncrement(v))
        {
            yield return v;
        }
    }
}
