/**
 * ECR lifecycle policy: expire untagged images only. Tagged images are slipway's to clean
 * (by git refs, Kubernetes usage and stage reachability); a lifecycle rule on tags would
 * delete stages that kept images still need.
 */
export function untaggedOnlyLifecycle(days: number): object {
  return {
    rules: [
      {
        rulePriority: 1,
        description: `expire untagged images after ${days} days (tagged images are cleaned by slipway)`,
        selection: { tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: days },
        action: { type: "expire" },
      },
    ],
  };
}
