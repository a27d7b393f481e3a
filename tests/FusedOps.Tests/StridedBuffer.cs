using System;
using Xunit;

namespace FusedOps.Tests;

/// <summary>
/// A strided tensor of up to three dimensions inside an array filled with a marker everywhere else:
/// in the gaps the strides leave and in guards on both sides. Inputs are marked with NaN, so a kernel
/// that reads outside the extents it was given turns its result into NaN. Outputs are marked with
/// <see cref="Sentinel"/>, which a stray store or a stray += changes (NaN would survive a +=) and a
/// stray read turns into a gross error.
/// </summary>
internal sealed class StridedBuffer
{
    /// <summary>Marked floats on each side: wider than a whole stray 64-float tile row, so one lands in the guard and not in the next object on the heap.</summary>
    public const int Guard = 64;

    /// <summary>The marker around outputs: finite, exact, and far from any value the tests produce.</summary>
    public const float Sentinel = -7777.25f;

    private readonly int _n0;
    private readonly int _n1;
    private readonly int _n2;
    private readonly int _s0;
    private readonly int _s1;
    private readonly int _s2;
    private readonly double[] _expected;
    private readonly double[] _scale;
    private readonly float _outside;

    private StridedBuffer(int n0, int n1, int n2, int s0, int s1, int s2, float outside)
    {
        _outside = outside;
        (_n0, _n1, _n2, _s0, _s1, _s2) = (n0, n1, n2, s0, s1, s2);
        int span = n0 == 0 || n1 == 0 || n2 == 0 ? 0 : ((n0 - 1) * s0) + ((n1 - 1) * s1) + ((n2 - 1) * s2) + 1;
        Data = new float[span + (2 * Guard)];
        _expected = new double[Data.Length];
        _scale = new double[Data.Length];
        Array.Fill(Data, outside);
        Array.Fill(_expected, double.NaN);

        // An output's own elements start as NaN, so a kernel that should overwrite them but reads them is caught.
        Fill(float.NaN);
    }

    /// <summary>The whole array, guards included.</summary>
    public float[] Data { get; }

    /// <summary>Element [0, 0, 0], what the kernels are given.</summary>
    public ref float Start => ref Data[Guard];

    /// <summary>Element [i, j].</summary>
    public float this[int i, int j] => Data[Offset(i, j, 0)];

    /// <summary>Element [i, j, k].</summary>
    public float this[int i, int j, int k] => Data[Offset(i, j, k)];

    /// <summary>An n0 × n1 input matrix with the given strides, NaN around it.</summary>
    public static StridedBuffer Matrix(int n0, int n1, int s0, int s1) => new(n0, n1, 1, s0, s1, 0, float.NaN);

    /// <summary>An n0 × n1 × n2 input tensor with the given strides, NaN around it.</summary>
    public static StridedBuffer Tensor(int n0, int n1, int n2, int s0, int s1, int s2) => new(n0, n1, n2, s0, s1, s2, float.NaN);

    /// <summary>An n0 × n1 output matrix with the given strides, NaN inside and <see cref="Sentinel"/> around it.</summary>
    public static StridedBuffer OutputMatrix(int n0, int n1, int s0, int s1) => new(n0, n1, 1, s0, s1, 0, Sentinel);

    /// <summary>An n0 × n1 × n2 output tensor with the given strides, NaN inside and <see cref="Sentinel"/> around it.</summary>
    public static StridedBuffer OutputTensor(int n0, int n1, int n2, int s0, int s1, int s2) => new(n0, n1, n2, s0, s1, s2, Sentinel);

    /// <summary>Fills the elements (not the gaps or guards) with values in [−1, 1).</summary>
    public StridedBuffer Randomize(Random random)
    {
        ForEach(offset => Data[offset] = (float)((random.NextDouble() * 2) - 1));
        return this;
    }

    /// <summary>Sets every element (not the gaps or guards) to <paramref name="value"/>.</summary>
    public void Fill(float value) => ForEach(offset => Data[offset] = value);

    /// <summary>Element [i, j] should end as <paramref name="value"/> within 1e-5 × <paramref name="scale"/>.</summary>
    public void Expect(int i, int j, double value, double scale) => Expect(i, j, 0, value, scale);

    /// <summary>Element [i, j, k] should end as <paramref name="value"/> within 1e-5 × <paramref name="scale"/>.</summary>
    public void Expect(int i, int j, int k, double value, double scale)
    {
        int offset = Offset(i, j, k);
        _expected[offset] = value;
        _scale[offset] = scale;
    }

    /// <summary>
    /// Every expected element matches; everything else, gaps and guards, is still NaN. The error is
    /// measured against the sum of the magnitudes of the terms, which is what float rounding scales
    /// with (the value itself can cancel to near zero); a scale of zero demands exact equality.
    /// </summary>
    public void Check(double tolerance, string context)
    {
        for (int p = 0; p < Data.Length; p++)
        {
            if (double.IsNaN(_expected[p]))
            {
                if (BitConverter.SingleToInt32Bits(Data[p]) != BitConverter.SingleToInt32Bits(_outside))
                {
                    Assert.Fail($"{context}: wrote {Data[p]} at {p - Guard}, outside the output's extents.");
                }
            }
            else if (!(Math.Abs(Data[p] - _expected[p]) <= tolerance * _scale[p]))
            {
                Assert.Fail($"{context}: at {p - Guard} got {Data[p]}, expected {_expected[p]} (scale {_scale[p]}).");
            }
        }
    }

    private void ForEach(Action<int> action)
    {
        for (int i = 0; i < _n0; i++)
        {
            for (int j = 0; j < _n1; j++)
            {
                for (int k = 0; k < _n2; k++)
                {
                    action(Offset(i, j, k));
                }
            }
        }
    }

    private int Offset(int i, int j, int k) => Guard + (i * _s0) + (j * _s1) + (k * _s2);
}
