/** One image reference found in a cluster, and where (for the cleanup report). */
export interface KubeImageUse {
  /** As written in the pod spec (`repo:tag`, `repo@sha256:...`) or a pod status imageID (`repo@sha256:...`). */
  image: string;
  /** `context/namespace/Kind/name`. */
  where: string;
}

/** The images running or templated in clusters. Throws when a configured cluster cannot be read. */
export interface KubeImageSource {
  list(): Promise<KubeImageUse[]>;
}
