// Compiled into two assemblies: the runtime (attributes' defaults, the reference interpreter's parser
// and checks) and the generator (a linked source; netstandard2.0). It must use neither runtime-only
// types nor Roslyn types, so that both sides read the same facts.
using System;
using System.Collections.Generic;

namespace FusedOps.Catalog;

/// <summary>The C# type of a layer attribute's argument.</summary>
internal enum ArgumentType
{
    Int,
    Float,
    Bool,
    String,
}

/// <summary>The values an argument may take; <see cref="LayerFacts.Violation"/> says which rule a value breaks.</summary>
internal enum ArgumentRange
{
    /// <summary>Any value (bools, names).</summary>
    Any,

    /// <summary>An int of at least 1 (sizes, strides, counts).</summary>
    AtLeastOne,

    /// <summary>An int of at least 0 (padding).</summary>
    NonNegative,

    /// <summary>A finite float.</summary>
    Finite,

    /// <summary>A finite float above 0 (an epsilon, LocalResponseNorm's k).</summary>
    PositiveFinite,

    /// <summary>A finite float of at least 0 (ISRU's α: √(1 + αx²) must exist).</summary>
    FiniteNonNegative,

    /// <summary>A finite float other than 0 (Softplus divides by β).</summary>
    FiniteNonZero,

    /// <summary>A float in [0, 1] (a momentum).</summary>
    Unit,

    /// <summary>A float in [0, 1) (Dropout's p: 1 would scale the kept elements, none, by 1/0).</summary>
    DropProbability,
}

/// <summary>One argument of a layer attribute: a constructor parameter (<see cref="Positional"/>) or a settable property.</summary>
internal sealed class ArgumentFact
{
    public ArgumentFact(string name, ArgumentType type, bool positional, double defaultValue, ArgumentRange range, string? defaultFrom = null)
    {
        Name = name;
        Type = type;
        Positional = positional;
        Default = defaultValue;
        Range = range;
        DefaultFrom = defaultFrom;
    }

    /// <summary>The constructor parameter's name (<c>kernelSize</c>) or the property's (<c>Stride</c>).</summary>
    public string Name { get; }

    public ArgumentType Type { get; }

    /// <summary>A constructor argument, always written; otherwise a named property with a default.</summary>
    public bool Positional { get; }

    /// <summary>The default of a named argument: the number, or 1/0 for a bool; unused for positional ones.</summary>
    public double Default { get; }

    public ArgumentRange Range { get; }

    /// <summary>When not null, the default is this other argument's value (pooling: Stride defaults to kernelSize).</summary>
    public string? DefaultFrom { get; }

    public int IntDefault => (int)Default;

    public float FloatDefault => (float)Default;

    public bool BoolDefault => Default != 0;
}

/// <summary>One layer attribute: its name (without <c>Attribute</c>), its arguments in declaration order, and its state.</summary>
internal sealed class LayerFact
{
    public LayerFact(string name, ArgumentFact[] arguments, string[] stateKeys)
    {
        Name = name;
        Arguments = arguments;
        StateKeys = stateKeys;
    }

    public string Name { get; }

    /// <summary>Constructor arguments first, in parameter order, then the properties in the order they are documented.</summary>
    public IReadOnlyList<ArgumentFact> Arguments { get; }

    /// <summary>Every state-dict suffix the layer can own (<c>{i}.weight</c> is <c>weight</c>); options decide which exist.</summary>
    public IReadOnlyList<string> StateKeys { get; }

    /// <summary>The argument called <paramref name="name"/>; throws for a name the table does not have (a programming error).</summary>
    public ArgumentFact this[string name] => Find(name) ?? throw new ArgumentException($"Layer '{Name}' has no argument '{name}'.", nameof(name));

    /// <summary>The argument called <paramref name="name"/>, or null.</summary>
    public ArgumentFact? Find(string name)
    {
        foreach (ArgumentFact argument in Arguments)
        {
            if (argument.Name == name)
            {
                return argument;
            }
        }

        return null;
    }
}

/// <summary>
/// Every layer attribute's name, arguments, defaults, allowed ranges and state keys, once. The attributes'
/// property initialisers use the constants below; the reference interpreter parses and validates
/// declarations with <see cref="All"/>; the generator reads attribute arguments and reports FOPS0005 with it.
/// </summary>
internal static class LayerFacts
{
    // Defaults (PyTorch's), named so the attributes can use them as their property initialisers.
    public const float Epsilon = 1e-5f;
    public const float Momentum = 0.1f;
    public const float DropoutP = 0.5f;
    public const float LeakyReluSlope = 0.01f;
    public const float PReluInit = 0.25f;
    public const float RReluLower = 0.125f;
    public const float RReluUpper = 1f / 3;
    public const float LrnAlpha = 1e-4f;
    public const float LrnBeta = 0.75f;
    public const float LrnK = 1f;
    public const float HardTanhMin = -1f;
    public const float HardTanhMax = 1f;
    public const float SoftplusThreshold = 20f;

    /// <summary>ELU's and ISRU's α, Swish's and Softplus's β.</summary>
    public const float One = 1f;

    private const string Weight = "weight";
    private const string Bias = "bias";
    private const string RunningMean = "running_mean";
    private const string RunningVar = "running_var";

    /// <summary>Every layer attribute, in the order of the API's layer table.</summary>
    public static readonly LayerFact[] All =
    [
        Layer("Linear", [Weight, Bias, "weight_g", "weight_v", "weight_orig", "weight_u"],
            Size("outFeatures"), Flag("Bias", true), Flag("WeightNorm"), Flag("SpectralNorm"), Flag("CosineNorm")),
        Layer("Conv2d", [Weight, Bias, "weight_g", "weight_v", "weight_orig", "weight_u"],
            Size("outChannels"), Size("kernelSize"), Count("Stride"), Padding(), Count("Dilation"), Count("Groups"),
            Flag("Bias", true), Flag("WeightNorm"), Flag("SpectralNorm")),
        Layer("BatchNorm", [Weight, Bias, RunningMean, RunningVar],
            Real("Epsilon", Epsilon, ArgumentRange.PositiveFinite), Real("Momentum", Momentum, ArgumentRange.Unit), Flag("Affine", true)),
        Layer("LayerNorm", [Weight, Bias], Real("Epsilon", Epsilon, ArgumentRange.PositiveFinite), Flag("Affine", true)),
        Layer("GroupNorm", [Weight, Bias], Size("groups"), Real("Epsilon", Epsilon, ArgumentRange.PositiveFinite), Flag("Affine", true)),

        // PyTorch's InstanceNorm2d is not affine by default, unlike the other norms.
        Layer("InstanceNorm", [Weight, Bias], Real("Epsilon", Epsilon, ArgumentRange.PositiveFinite), Flag("Affine", false)),

        // α ≥ 0 and k > 0 keep D = k + α/size·Σx² positive, so D^(−β) is finite.
        Layer("LocalResponseNorm", [], Size("size"), Real("Alpha", LrnAlpha, ArgumentRange.FiniteNonNegative),
            Real("Beta", LrnBeta), Real("K", LrnK, ArgumentRange.PositiveFinite)),
        Layer("SwitchableNorm", [Weight, Bias, "mean_weight", "var_weight", RunningMean, RunningVar],
            Real("Epsilon", Epsilon, ArgumentRange.PositiveFinite), Real("Momentum", Momentum, ArgumentRange.Unit)),
        Layer("Flatten", []),
        Layer("MaxPool2d", [], Size("kernelSize"), Count("Stride", defaultFrom: "kernelSize"), Padding()),
        Layer("AvgPool2d", [], Size("kernelSize"), Count("Stride", defaultFrom: "kernelSize"), Padding()),
        Layer("GlobalAvgPool2d", []),
        Layer("Dropout", [], Real("P", DropoutP, ArgumentRange.DropProbability)),
        Layer("Maxout", [], Size("pieces")),
        Layer("Save", [], Name()),
        Layer("Add", ["proj.weight", "bn.weight", "bn.bias", "bn.running_mean", "bn.running_var"], Name(), Flag("Projection")),
        Layer("Concat", [], Name()),
        Layer("Identity", []),
        Layer("ReLU", []),
        Layer("LeakyReLU", [], Real("NegativeSlope", LeakyReluSlope)),
        Layer("PReLU", [Weight], Count("NumParameters"), Real("Init", PReluInit)),
        Layer("RReLU", [], Real("Lower", RReluLower), Real("Upper", RReluUpper)),
        Layer("ELU", [], Real("Alpha", One)),
        Layer("SELU", []),
        Layer("GELU", [], Flag("Approximate")),
        Layer("Sigmoid", []),
        Layer("Tanh", []),
        Layer("ArcTan", []),
        Layer("Softsign", []),
        Layer("SiLU", []),
        Layer("Swish", [], Real("Beta", One)),
        Layer("Mish", []),
        Layer("Softplus", [], Real("Beta", One, ArgumentRange.FiniteNonZero), Real("Threshold", SoftplusThreshold)),
        Layer("HardSigmoid", []),
        Layer("HardSwish", []),
        Layer("HardTanh", [], Real("Min", HardTanhMin), Real("Max", HardTanhMax)),
        Layer("Isru", [], Real("Alpha", One, ArgumentRange.FiniteNonNegative)),
        Layer("Isrlu", [], Real("Alpha", One, ArgumentRange.FiniteNonNegative)),
        Layer("SquareNonlinearity", []),
        Layer("BinaryStep", []),
        Layer("BipolarReLU", []),
    ];

    private static readonly Dictionary<string, LayerFact> s_byName = ByName();

    /// <summary>The layer attribute called <paramref name="name"/> (without the <c>Attribute</c> suffix), or null.</summary>
    public static LayerFact? Find(string name) => s_byName.TryGetValue(name, out LayerFact? fact) ? fact : null;

    /// <summary>
    /// The rule <paramref name="value"/> breaks for <paramref name="range"/>, as a predicate to follow the
    /// argument's name (<c>must be at least 1</c>), or null when it fits.
    /// </summary>
    public static string? Violation(ArgumentRange range, double value)
    {
        bool finite = !double.IsNaN(value) && !double.IsInfinity(value);
        return range switch
        {
            ArgumentRange.AtLeastOne when !(value >= 1) => "must be at least 1",
            ArgumentRange.NonNegative when !(value >= 0) => "must not be negative",
            ArgumentRange.Finite or ArgumentRange.FiniteNonNegative or ArgumentRange.FiniteNonZero when !finite => "must be a finite number",
            ArgumentRange.PositiveFinite when !(value > 0 && finite) => "must be a finite number above 0",
            ArgumentRange.FiniteNonNegative when value < 0 => "must not be negative",
            ArgumentRange.FiniteNonZero when value == 0 => "must not be 0",
            ArgumentRange.Unit when !(value >= 0 && value <= 1) => "must lie in [0, 1]",
            ArgumentRange.DropProbability when !(value >= 0 && value < 1) => "must lie in [0, 1)",
            _ => null,
        };
    }

    private static Dictionary<string, LayerFact> ByName()
    {
        var byName = new Dictionary<string, LayerFact>(StringComparer.Ordinal);
        foreach (LayerFact fact in All)
        {
            byName.Add(fact.Name, fact);
        }

        return byName;
    }

    private static LayerFact Layer(string name, string[] stateKeys, params ArgumentFact[] arguments) => new(name, arguments, stateKeys);

    /// <summary>A positional int of at least 1.</summary>
    private static ArgumentFact Size(string name) => new(name, ArgumentType.Int, positional: true, 0, ArgumentRange.AtLeastOne);

    /// <summary>A positional branch name.</summary>
    private static ArgumentFact Name() => new("name", ArgumentType.String, positional: true, 0, ArgumentRange.Any);

    /// <summary>A named int of at least 1, by default 1 or another argument's value.</summary>
    private static ArgumentFact Count(string name, string? defaultFrom = null) => new(name, ArgumentType.Int, positional: false, 1, ArgumentRange.AtLeastOne, defaultFrom);

    /// <summary>Zero padding on every side: a named int, by default 0.</summary>
    private static ArgumentFact Padding() => new("Padding", ArgumentType.Int, positional: false, 0, ArgumentRange.NonNegative);

    private static ArgumentFact Flag(string name, bool defaultValue = false) => new(name, ArgumentType.Bool, positional: false, defaultValue ? 1 : 0, ArgumentRange.Any);

    private static ArgumentFact Real(string name, float defaultValue, ArgumentRange range = ArgumentRange.Finite) => new(name, ArgumentType.Float, positional: false, defaultValue, range);
}
