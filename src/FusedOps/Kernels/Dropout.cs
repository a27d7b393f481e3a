using System;
using System.ComponentModel;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FusedOps.Kernels;

/// <summary>
/// Inverted dropout for the generated training pass, and the per-step random stream that Dropout and
/// RReLU draw from. Forward draws one <see cref="InitRandom.NextSingle"/> per element, row-major over
/// the batch, keeps the element when the draw is at least p and scales it by 1/(1 − p); the factor
/// (0 or 1/(1 − p)) is kept for Backward. Inference is the identity.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class Dropout
{
    /// <summary>
    /// The training stream of forward number <paramref name="step"/> of a model seeded with
    /// <paramref name="seed"/>: a SplitMix64 hash of (seed, step) seeds an <see cref="InitRandom"/>, so
    /// the masks of a step depend only on the seed and the step, as the reference interpreter's.
    /// </summary>
    /// <param name="seed">The model's seed.</param>
    /// <param name="step">How many training forwards ran before this one.</param>
    /// <returns>The stream the step's layers draw from, in pipeline order.</returns>
    public static InitRandom Stream(int seed, int step) => new(StreamSeed(seed, step));

    /// <summary>
    /// <see cref="Stream"/> without allocating: <paramref name="random"/>, restarted as the stream of forward number
    /// <paramref name="step"/>, or a new stream when it is null (a model's first training forward).
    /// </summary>
    /// <param name="random">The stream of the previous step, or null.</param>
    /// <param name="seed">The model's seed.</param>
    /// <param name="step">How many training forwards ran before this one.</param>
    /// <returns>The stream the step's layers draw from, the same draws as <see cref="Stream"/>'s.</returns>
    public static InitRandom Restart(InitRandom? random, int seed, int step)
    {
        if (random is null)
        {
            return Stream(seed, step);
        }

        random.Reset(StreamSeed(seed, step));
        return random;
    }

    private static int StreamSeed(int seed, int step)
    {
        ulong z = (((ulong)(uint)seed << 32) | (uint)step) + 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return unchecked((int)(z ^ (z >> 31)));
    }

    /// <summary>y = x·factor with factor = (draw ≥ p ? 1/(1 − p) : 0), saved in <paramref name="factor"/>; y may alias x.</summary>
    /// <remarks>
    /// The draws are <paramref name="random"/>'s next <paramref name="count"/> <see cref="InitRandom.NextSingle"/> values, taken
    /// by position (SplitMix64's draw i is a hash of the stream's state plus i + 1 steps), a vector of floats at a time, and the
    /// stream is left where <paramref name="count"/> NextSingle calls would leave it: the same masks, bit for bit, as one draw per
    /// element in order, at any vector width.
    /// </remarks>
    /// <param name="x">The input, <paramref name="count"/> values.</param>
    /// <param name="y">The output.</param>
    /// <param name="factor">Receives each element's factor, for Backward.</param>
    /// <param name="count">Elements of the whole batch.</param>
    /// <param name="p">The drop probability, in [0, 1).</param>
    /// <param name="random">The step's stream (<see cref="Stream"/>).</param>
    public static void Forward(ref float x, ref float y, ref float factor, int count, float p, InitRandom random)
    {
        ArgumentNullException.ThrowIfNull(random);
        float keep = (float)(1.0 / (1.0 - p));
        uint threshold = KeepThreshold(p);
        ulong state = random.Skip(count);
        int i = Vector.IsHardwareAccelerated && KernelDispatch.RuntimeBits >= Vector<byte>.Count * 8
            ? ForwardVector(ref x, ref y, ref factor, count, keep, threshold, state)
            : 0;

        for (; i < count; i++)
        {
            // As in PyTorch (input · mask), a dropped NaN stays NaN.
            float f = Draw(state + (InitRandom.Golden * (ulong)(i + 1))) >= threshold ? keep : 0f;
            Unsafe.Add(ref factor, i) = f;
            Unsafe.Add(ref y, i) = Unsafe.Add(ref x, i) * f;
        }
    }

    /// <summary>dx = dy·factor, elementwise over <paramref name="count"/> values.</summary>
    /// <param name="dy">The output gradient.</param>
    /// <param name="factor">The factors Forward saved.</param>
    /// <param name="dx">The input gradient; may alias <paramref name="dy"/>.</param>
    /// <param name="count">Elements of the whole batch.</param>
    public static void Backward(ref float dy, ref float factor, ref float dx, int count)
    {
        int i = 0;
        if (KernelDispatch.RuntimeBits >= 512)
        {
            for (; i <= count - 16; i += 16)
            {
                (Vector512.LoadUnsafe(ref dy, (nuint)i) * Vector512.LoadUnsafe(ref factor, (nuint)i)).StoreUnsafe(ref dx, (nuint)i);
            }
        }
        else if (KernelDispatch.RuntimeBits >= 256)
        {
            for (; i <= count - 8; i += 8)
            {
                (Vector256.LoadUnsafe(ref dy, (nuint)i) * Vector256.LoadUnsafe(ref factor, (nuint)i)).StoreUnsafe(ref dx, (nuint)i);
            }
        }

        for (; i < count; i++)
        {
            Unsafe.Add(ref dx, i) = Unsafe.Add(ref dy, i) * Unsafe.Add(ref factor, i);
        }
    }

    // The 24 bits NextSingle scales by 2⁻²⁴: u = k·2⁻²⁴ exactly, so u ≥ p ⇔ k ≥ ⌈p·2²⁴⌉ (exact in double). p ≤ 0 keeps every
    // element, p ≥ 1 or NaN none (k < 2²⁴ < the threshold), as the float comparison would.
    private static uint KeepThreshold(float p)
    {
        double t = Math.Ceiling(p * 16777216.0);
        return t <= 0 ? 0u : t <= 16777216.0 ? (uint)t : 16777217u;
    }

    // SplitMix64's output for the state after a step, top 24 bits: NextSingle's k.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Draw(ulong z)
    {
        z = (z ^ (z >> 30)) * Mix1;
        z = (z ^ (z >> 27)) * Mix2;
        return (uint)((z ^ (z >> 31)) >> 40);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<ulong> Draw(Vector<ulong> z)
    {
        z = (z ^ Vector.ShiftRightLogical(z, 30)) * new Vector<ulong>(Mix1);
        z = (z ^ Vector.ShiftRightLogical(z, 27)) * new Vector<ulong>(Mix2);
        return Vector.ShiftRightLogical(z ^ Vector.ShiftRightLogical(z, 31), 40);
    }

    // A vector of floats a step (8 with 256-bit vectors): draws i + 1 … i + width as two vectors of states, narrowed to the k's in
    // element order. Returns where it stopped.
    private static int ForwardVector(ref float x, ref float y, ref float factor, int count, float keep, uint threshold, ulong state)
    {
        int width = Vector<float>.Count, half = Vector<ulong>.Count;
        Span<ulong> lanes = stackalloc ulong[half];
        for (int j = 0; j < half; j++)
        {
            lanes[j] = state + (InitRandom.Golden * (ulong)(j + 1));
        }

        var z0 = new Vector<ulong>(lanes);
        Vector<ulong> z1 = z0 + new Vector<ulong>(InitRandom.Golden * (ulong)half), stride = new Vector<ulong>(InitRandom.Golden * (ulong)width);
        var limit = new Vector<uint>(threshold);
        var kept = new Vector<float>(keep);
        int i = 0;
        for (; i <= count - width; i += width)
        {
            Vector<uint> k = Vector.Narrow(Draw(z0), Draw(z1));
            Vector<float> f = Vector.ConditionalSelect(Vector.AsVectorInt32(Vector.GreaterThanOrEqual(k, limit)), kept, Vector<float>.Zero);
            Simd.Store(f, ref factor, i);
            Simd.Store(Simd.Load(ref x, i) * f, ref y, i);
            z0 += stride;
            z1 += stride;
        }

        return i;
    }

    private const ulong Mix1 = 0xBF58476D1CE4E5B9UL;
    private const ulong Mix2 = 0x94D049BB133111EBUL;
}
