export * from './draft-pr.js';
export {
  GitHubApiError,
  DEFAULT_RETRY as GITHUB_DEFAULT_RETRY,
  type RetryPolicy as GitHubRetryPolicy,
} from './retry.js';
