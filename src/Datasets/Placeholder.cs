namespace Experiments.Datasets; internal static class Placeholder {}
