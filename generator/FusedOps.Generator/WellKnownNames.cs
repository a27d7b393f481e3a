namespace FusedOps.Generator;

/// <summary>Metadata names the generator matches; it never references the runtime assembly.</summary>
internal static class WellKnownNames
{
    public const string Namespace = "FusedOps";
    public const string FusedPipelineAttribute = "FusedOps.FusedPipelineAttribute";
    public const string AttributeSuffix = "Attribute";
}
