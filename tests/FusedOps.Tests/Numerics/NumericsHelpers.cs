using System;
using System.Linq;
using System.Runtime.Intrinsics;
using FusedOps.MathAccuracy;

namespace FusedOps.Tests.Numerics;

/// <summary>Evaluates functions and operators at a given width on short argument lists.</summary>
internal static class NumericsHelpers
{
    /// <summary>The widths this CPU runs natively (0 = scalar, 1–3 = 128, 256, 512 bits); the others would run in software.</summary>
    public static int[] Widths =>
        new[] { 0, 1, 2, 3 }.Where(w => w switch
        {
            1 => Vector128.IsHardwareAccelerated,
            2 => Vector256.IsHardwareAccelerated,
            3 => Vector512.IsHardwareAccelerated,
            _ => true,
        }).ToArray();

    public static float[] Apply(MathFunction f, int width, float[] x)
    {
        float[] padded = Pad(x);
        var y = new float[padded.Length];
        f.Apply(width, padded, y);
        return y[..x.Length];
    }

    public static (float[] Forward, float[] Backward) Apply(OperatorCase op, int width, float[] x, float[]? g = null)
    {
        float[] px = Pad(x);
        float[] pg = g is null ? Enumerable.Repeat(1f, px.Length).ToArray() : Pad(g);
        var y = new float[px.Length];
        var dy = new float[px.Length];
        op.Apply(width, px, pg, y, dy);
        return (y[..x.Length], dy[..x.Length]);
    }

    public static OperatorCase Operator(string declaration) => OperatorCase.All.Single(o => o.Declaration == declaration);

    public static MathFunction Function(string name) => MathFunction.All.Single(f => f.Name == name);

    /// <summary>Equal bits, or both NaN (vector and scalar code may produce different NaN payloads).</summary>
    public static bool SameFloat(float a, float b) =>
        BitConverter.SingleToInt32Bits(a) == BitConverter.SingleToInt32Bits(b) || (float.IsNaN(a) && float.IsNaN(b));

    private static float[] Pad(float[] x) =>
        x.Concat(Enumerable.Repeat(x.Length > 0 ? x[0] : 0f, (16 - (x.Length % 16)) % 16)).ToArray();
}
