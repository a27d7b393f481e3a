namespace FusedOps.Generator;

/// <summary>
/// Names the generated code declares or uses, in one place: the emitters write them and the parser's
/// reserved-name check (FOPS0012) reads them.
/// </summary>
internal static class Names
{
    public const string GeneratorName = "FusedOps.Generator";
    public const string Version = "0.1.0";

    // Public members added to the user's class (API.md).
    public const string InputLength = nameof(InputLength);
    public const string OutputLength = nameof(OutputLength);
    public const string InputShape = nameof(InputShape);
    public const string OutputShape = nameof(OutputShape);
    public const string Parameters = nameof(Parameters);
    public const string Buffers = nameof(Buffers);
    public const string Forward = nameof(Forward);
    public const string Backward = nameof(Backward);
    public const string ZeroGrad = nameof(ZeroGrad);
    public const string Infer = nameof(Infer);
    public const string Freeze = nameof(Freeze);
    public const string Frozen = nameof(Frozen);

    /// <summary>Settable seed of the training randomness; generated only for pipelines with Dropout, reserved for all.</summary>
    public const string Seed = nameof(Seed);

    /// <summary>The one private field the generator adds to the user's class: the generated training model.</summary>
    public const string ModelField = "_fused";

    /// <summary>Every public member the generator adds, for the conflict check.</summary>
    public static readonly string[] PublicMembers =
    {
        InputLength, OutputLength, InputShape, OutputShape, Parameters, Buffers, Forward, Backward, ZeroGrad, Infer, Freeze, Frozen, Seed,
    };

    // Runtime types, as the user's file names them (user code could shadow a shorter name there).
    public const string IFusedModel = "global::FusedOps.IFusedModel";
    public const string IInferenceModel = "global::FusedOps.IInferenceModel";
    public const string ParameterList = "global::FusedOps.ParameterList";
    public const string ReadOnlySpan = "global::System.ReadOnlySpan";
    public const string Span = "global::System.Span";
    public const string GeneratedCodeAttribute = "global::System.CodeDom.Compiler.GeneratedCode";

    // Generated kernel types, in namespace FusedOps.Generated, prefixed with the pipeline's flat name.
    public const string TrainingSuffix = "_Training";
    public const string InferenceSuffix = "_Inference";
    public const string KernelsSuffix = "_Kernels";
}
