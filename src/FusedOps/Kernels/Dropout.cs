using System;
using System.ComponentModel;
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
    /// by position (SplitMix64's draw i is a hash of the stream's state plus i + 1 steps), 8 or 16 at a time in vectors, and the
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
        int i = 0;
        if (KernelDispatch.RuntimeBits >= 512)
        {
            i = Forward512(ref x, ref y, ref factor, count, keep, threshold, state);
        }
        else if (KernelDispatch.RuntimeBits >= 256)
        {
            i = Forward256(ref x, ref y, ref factor, count, keep, threshold, state);
        }

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
    private static Vector512<ulong> Draw(Vector512<ulong> z)
    {
        z = (z ^ Vector512.ShiftRightLogical(z, 30)) * Vector512.Create(Mix1);
        z = (z ^ Vector512.ShiftRightLogical(z, 27)) * Vector512.Create(Mix2);
        return Vector512.ShiftRightLogical(z ^ Vector512.ShiftRightLogical(z, 31), 40);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<ulong> Draw(Vector256<ulong> z)
    {
        z = (z ^ Vector256.ShiftRightLogical(z, 30)) * Vector256.Create(Mix1);
        z = (z ^ Vector256.ShiftRightLogical(z, 27)) * Vector256.Create(Mix2);
        return Vector256.ShiftRightLogical(z ^ Vector256.ShiftRightLogical(z, 31), 40);
    }

    // 16 elements a step: draws i + 1 … i + 16 as two vectors of 8 states, narrowed to 16 k's in element order. Returns where it stopped.
    private static int Forward512(ref float x, ref float y, ref float factor, int count, float keep, uint threshold, ulong state)
    {
        const ulong g = InitRandom.Golden;
        Vector512<ulong> z0 = Vector512.Create(state) + (Vector512.Create(1UL, 2, 3, 4, 5, 6, 7, 8) * Vector512.Create(g));
        Vector512<ulong> z1 = z0 + Vector512.Create(unchecked(8 * g)), stride = Vector512.Create(unchecked(16 * g));
        Vector512<uint> limit = Vector512.Create(threshold);
        Vector512<float> kept = Vector512.Create(keep);
        int i = 0;
        for (; i <= count - 16; i += 16)
        {
            Vector512<uint> k = Vector512.Narrow(Draw(z0), Draw(z1));
            Vector512<float> f = Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(k, limit).AsSingle(), kept, Vector512<float>.Zero);
            f.StoreUnsafe(ref factor, (nuint)i);
            (Vector512.LoadUnsafe(ref x, (nuint)i) * f).StoreUnsafe(ref y, (nuint)i);
            z0 += stride;
            z1 += stride;
        }

        return i;
    }

    // As Forward512 with 8 elements a step.
    private static int Forward256(ref float x, ref float y, ref float factor, int count, float keep, uint threshold, ulong state)
    {
        const ulong g = InitRandom.Golden;
        Vector256<ulong> z0 = Vector256.Create(state) + (Vector256.Create(1UL, 2, 3, 4) * Vector256.Create(g));
        Vector256<ulong> z1 = z0 + Vector256.Create(unchecked(4 * g)), stride = Vector256.Create(unchecked(8 * g));
        Vector256<uint> limit = Vector256.Create(threshold);
        Vector256<float> kept = Vector256.Create(keep);
        int i = 0;
        for (; i <= count - 8; i += 8)
        {
            Vector256<uint> k = Vector256.Narrow(Draw(z0), Draw(z1));
            Vector256<float> f = Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(k, limit).AsSingle(), kept, Vector256<float>.Zero);
            f.StoreUnsafe(ref factor, (nuint)i);
            (Vector256.LoadUnsafe(ref x, (nuint)i) * f).StoreUnsafe(ref y, (nuint)i);
            z0 += stride;
            z1 += stride;
        }

        return i;
    }

    private const ulong Mix1 = 0xBF58476D1CE4E5B9UL;
    private const ulong Mix2 = 0x94D049BB133111EBUL;
}
