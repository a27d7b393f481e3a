using System;

namespace FusedOps;

/// <summary>
/// The deterministic random source behind default initialisation (and, later, dropout): SplitMix64,
/// so the same seed gives the same parameters on every machine and runtime. The generated
/// constructors and <see cref="Reference.ReferenceModel"/> draw from it in state-dict order, so a
/// generated model and the reference built from the same layers and seed start out identical.
/// </summary>
public sealed class InitRandom
{
    private ulong _state;

    /// <summary>A stream for <paramref name="seed"/>.</summary>
    public InitRandom(int seed) => _state = 0x9E3779B97F4A7C15UL * (ulong)(uint)seed + 0xD1B54A32D192ED03UL;

    // Restarts the stream as a new InitRandom(seed) would start: a training step reseeds its stream without allocating.
    internal void Reset(int seed) => _state = 0x9E3779B97F4A7C15UL * (ulong)(uint)seed + 0xD1B54A32D192ED03UL;

    // Where the stream stands, then skips `count` draws: draw i (from 0) of the skipped run is Mix(state + (i + 1)·Golden), so a
    // vector kernel can take every draw of a run at once (Dropout's masks) and leave the stream where `count` NextUInt64 calls would.
    internal ulong Skip(int count)
    {
        ulong state = _state;
        _state = state + (Golden * (ulong)(uint)count);
        return state;
    }

    internal const ulong Golden = 0x9E3779B97F4A7C15UL;

    /// <summary>Next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        ulong z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, 1) with 24 random bits, exactly representable as float.</summary>
    public float NextSingle() => (NextUInt64() >> 40) * (1.0f / (1 << 24));

    /// <summary>Fills <paramref name="data"/> from U(−bound, bound).</summary>
    public void FillUniform(Span<float> data, float bound)
    {
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = (2f * NextSingle() - 1f) * bound;
        }
    }

    /// <summary>
    /// PyTorch's default for Linear and Conv2d weights and biases: U(±1/√fanIn)
    /// (kaiming_uniform_ with a = √5 gives the same bound for weights).
    /// </summary>
    public void FillFanIn(Span<float> data, int fanIn) => FillUniform(data, FanInBound(fanIn));

    /// <summary>
    /// <c>torch.nn.utils.spectral_norm</c>'s initial u and v: standard normal values, then divided
    /// by max(‖values‖, 1e-12) as <c>torch.nn.functional.normalize</c>. The normal values come in
    /// pairs from two draws by the Box–Muller transform (an odd length discards the last one); the
    /// arithmetic is in double and each element is rounded to float once, at the end.
    /// </summary>
    public void FillUnitVector(Span<float> data)
    {
        var normal = new double[data.Length];
        for (int i = 0; i < normal.Length; i += 2)
        {
            // 1 − u lies in (0, 1], so the logarithm is finite.
            double radius = Math.Sqrt(-2.0 * Math.Log(1.0 - NextSingle()));
            double angle = 2.0 * Math.PI * NextSingle();
            normal[i] = radius * Math.Cos(angle);
            if (i + 1 < normal.Length)
            {
                normal[i + 1] = radius * Math.Sin(angle);
            }
        }

        double norm = 0;
        foreach (double v in normal)
        {
            norm += v * v;
        }

        norm = Math.Max(Math.Sqrt(norm), 1e-12);
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = (float)(normal[i] / norm);
        }
    }

    /// <summary>1/√fanIn as float.</summary>
    public static float FanInBound(int fanIn) => fanIn > 0 ? (float)(1.0 / Math.Sqrt(fanIn)) : 0f;
}
