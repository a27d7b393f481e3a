using System;
using System.Collections.Generic;
using static System.FormattableString;

namespace FusedOps.Training;

/// <summary>The nonlinearity a layer feeds, for <see cref="Init.Gain"/> (PyTorch's <c>calculate_gain</c> names).</summary>
public enum Nonlinearity
{
    /// <summary>No nonlinearity (also conv1d/2d/3d and the transposed convolutions): gain 1.</summary>
    Linear,

    /// <summary>Sigmoid: gain 1.</summary>
    Sigmoid,

    /// <summary>Tanh: gain 5/3.</summary>
    Tanh,

    /// <summary>ReLU: gain √2.</summary>
    ReLU,

    /// <summary>Leaky ReLU with negative slope a: gain √(2 / (1 + a²)).</summary>
    LeakyReLU,

    /// <summary>SELU: gain 3/4.</summary>
    Selu,
}

/// <summary>Which fan Kaiming initialisation keeps the variance of.</summary>
public enum FanMode
{
    /// <summary>Fan-in: preserves the variance of activations in the forward pass (PyTorch's default).</summary>
    FanIn,

    /// <summary>Fan-out: preserves the variance of gradients in the backward pass.</summary>
    FanOut,
}

/// <summary>
/// Weight initialisation as <c>torch.nn.init</c>: <see cref="XavierUniform"/>, <see cref="XavierNormal"/>,
/// <see cref="KaimingUniform"/>, <see cref="KaimingNormal"/> describe a distribution; its
/// <see cref="Initializer"/> fills one tensor, the tensors of a list by name, or every Conv2d/Linear
/// weight of a model, from a seed (SplitMix64, the same on every machine).
/// </summary>
public static class Init
{
    /// <summary>As <c>calculate_gain(nonlinearity, param)</c>.</summary>
    /// <param name="nonlinearity">The nonlinearity after the layer.</param>
    /// <param name="negativeSlope">Leaky ReLU's slope (PyTorch's <c>param</c>, default 0.01); ignored otherwise.</param>
    public static double Gain(Nonlinearity nonlinearity, double negativeSlope = 0.01) => nonlinearity switch
    {
        Nonlinearity.Linear or Nonlinearity.Sigmoid => 1.0,
        Nonlinearity.Tanh => 5.0 / 3,
        Nonlinearity.ReLU => Math.Sqrt(2.0),
        Nonlinearity.LeakyReLU => Math.Sqrt(2.0 / (1 + (negativeSlope * negativeSlope))),
        Nonlinearity.Selu => 3.0 / 4,
        _ => throw new ArgumentOutOfRangeException(nameof(nonlinearity), nonlinearity, $"nonlinearity must be one of {string.Join(", ", Enum.GetNames<Nonlinearity>())}, got {nonlinearity}."),
    };

    /// <summary>As <c>normal_(tensor, 0, standardDeviation)</c>: N(0, σ²) whatever the tensor's fans (the "small random numbers" start).</summary>
    public static Initializer Normal(double standardDeviation) =>
        new(1.0, (_, _) => standardDeviation, uniform: false, Invariant($"Normal(standardDeviation: {CheckScale(standardDeviation)})"));

    /// <summary>As <c>xavier_uniform_</c>: U(−b, b) with b = gain·√(6 / (fanIn + fanOut)).</summary>
    public static Initializer XavierUniform(double gain = 1.0) =>
        new(CheckGain(gain), (fanIn, fanOut) => gain * Math.Sqrt(6.0 / (fanIn + fanOut)), uniform: true, $"XavierUniform(gain: {gain})");

    /// <summary>As <c>xavier_normal_</c>: N(0, σ²) with σ = gain·√(2 / (fanIn + fanOut)).</summary>
    public static Initializer XavierNormal(double gain = 1.0) =>
        new(CheckGain(gain), (fanIn, fanOut) => gain * Math.Sqrt(2.0 / (fanIn + fanOut)), uniform: false, $"XavierNormal(gain: {gain})");

    /// <summary>As <c>kaiming_uniform_(a, mode, nonlinearity)</c>: U(−b, b) with b = √3 · Gain(nonlinearity, a) / √fan.</summary>
    public static Initializer KaimingUniform(double a = 0, FanMode mode = FanMode.FanIn, Nonlinearity nonlinearity = Nonlinearity.LeakyReLU) =>
        Kaiming(a, mode, nonlinearity, uniform: true);

    /// <summary>As <c>kaiming_normal_(a, mode, nonlinearity)</c>: N(0, σ²) with σ = Gain(nonlinearity, a) / √fan.</summary>
    public static Initializer KaimingNormal(double a = 0, FanMode mode = FanMode.FanIn, Nonlinearity nonlinearity = Nonlinearity.LeakyReLU) =>
        Kaiming(a, mode, nonlinearity, uniform: false);

    /// <summary>As PyTorch's <c>_calculate_fan_in_and_fan_out</c>: shape[1]·receptive field and shape[0]·receptive field.</summary>
    /// <exception cref="ArgumentException">The tensor has fewer than 2 dimensions (a bias or a BatchNorm weight).</exception>
    public static (int FanIn, int FanOut) Fans(Parameter parameter)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        int[] shape = parameter.Shape;
        if (shape.Length < 2)
        {
            throw new ArgumentException($"Fan in and fan out need a tensor of at least 2 dimensions; '{parameter.Name}' has shape {parameter.ShapeText}.", nameof(parameter));
        }

        int receptive = 1;
        for (int d = 2; d < shape.Length; d++)
        {
            receptive *= shape[d];
        }

        return (shape[1] * receptive, shape[0] * receptive);
    }

    private static Initializer Kaiming(double a, FanMode mode, Nonlinearity nonlinearity, bool uniform)
    {
        if (!double.IsFinite(a))
        {
            throw new ArgumentOutOfRangeException(nameof(a), a, Invariant($"a must be finite, got {a}."));
        }

        if (mode is not (FanMode.FanIn or FanMode.FanOut))
        {
            throw new ArgumentOutOfRangeException(nameof(mode), mode, $"mode must be FanIn or FanOut, got {mode}.");
        }

        double gain = Gain(nonlinearity, a);
        string name = Invariant($"Kaiming{(uniform ? "Uniform" : "Normal")}(a: {a}, mode: {mode}, nonlinearity: {nonlinearity})");
        return new(gain, (fanIn, fanOut) => (uniform ? Math.Sqrt(3.0) : 1.0) * gain / Math.Sqrt(mode == FanMode.FanIn ? fanIn : fanOut), uniform, name);
    }

    private static double CheckScale(double standardDeviation) => double.IsFinite(standardDeviation) && standardDeviation >= 0
        ? standardDeviation
        : throw new ArgumentOutOfRangeException(nameof(standardDeviation), standardDeviation, Invariant($"standardDeviation must be finite and >= 0, got {standardDeviation}."));

    private static double CheckGain(double gain) => double.IsFinite(gain) && gain >= 0
        ? gain
        : throw new ArgumentOutOfRangeException(nameof(gain), gain, Invariant($"gain must be finite and >= 0, got {gain}."));
}

/// <summary>A distribution from <see cref="Init"/>, scaled by a tensor's fans, that fills tensors from a seed.</summary>
public sealed class Initializer
{
    private readonly Func<int, int, double> _scale;
    private readonly bool _uniform;
    private readonly string _description;

    internal Initializer(double gain, Func<int, int, double> scale, bool uniform, string description)
    {
        Gain = gain;
        _scale = scale;
        _uniform = uniform;
        _description = description;
    }

    /// <summary>The gain the distribution uses.</summary>
    public double Gain { get; }

    /// <summary>The uniform bound or the normal standard deviation for a tensor of this shape.</summary>
    public double Scale(Parameter parameter)
    {
        (int fanIn, int fanOut) = Init.Fans(parameter);
        return _scale(fanIn, fanOut);
    }

    /// <summary>Fills one tensor from <paramref name="random"/>.</summary>
    public void Apply(Parameter parameter, InitRandom random)
    {
        ArgumentNullException.ThrowIfNull(random);
        double scale = Scale(parameter);
        float[] data = parameter.Data;
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = (float)(_uniform ? ((2 * Uniform(random)) - 1) * scale : Normal(random) * scale);
        }
    }

    /// <summary>Fills the tensors of <paramref name="parameters"/> with these names, in list order, from one stream seeded by <paramref name="seed"/>.</summary>
    /// <exception cref="KeyNotFoundException">A name is not in the list (all are checked before anything is written).</exception>
    /// <exception cref="ArgumentException">A named tensor has fewer than 2 dimensions.</exception>
    public void Apply(ParameterList parameters, int seed, params string[] names)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(names);
        var wanted = new HashSet<string>(names, StringComparer.Ordinal);
        foreach (string name in names)
        {
            Init.Fans(parameters[name]); // throws naming the tensor before anything is written
        }

        var random = new InitRandom(seed);
        foreach (Parameter p in parameters)
        {
            if (wanted.Contains(p.Name))
            {
                Apply(p, random);
            }
        }
    }

    /// <summary>
    /// Fills every Conv2d and Linear weight of <paramref name="parameters"/> (the tensors named
    /// <c>*.weight</c> with 2 or more dimensions; biases and BatchNorm's γ are left alone), in
    /// state-dict order, from one stream seeded by <paramref name="seed"/>.
    /// </summary>
    /// <returns>How many tensors were filled.</returns>
    public int ApplyToWeights(ParameterList parameters, int seed)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var random = new InitRandom(seed);
        int count = 0;
        foreach (Parameter p in parameters)
        {
            if (p.Shape.Length >= 2 && p.Name.EndsWith("weight", StringComparison.Ordinal))
            {
                Apply(p, random);
                count++;
            }
        }

        return count;
    }

    /// <inheritdoc/>
    public override string ToString() => _description;

    /// <summary>Uniform in (0, 1) with 53 random bits, never 0 (so the logarithm below is finite).</summary>
    private static double Uniform(InitRandom random) => ((random.NextUInt64() >> 11) + 0.5) * (1.0 / (1UL << 53));

    /// <summary>Standard normal by Box–Muller (one value per pair, so the stream stays simple to reproduce).</summary>
    private static double Normal(InitRandom random) =>
        Math.Sqrt(-2 * Math.Log(Uniform(random))) * Math.Cos(2 * Math.PI * Uniform(random));
}
