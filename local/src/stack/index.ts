export {
  startLocalStack,
  LOCAL_API_KEY,
  type LocalStack,
  type LocalStackInfo,
  type LocalStackOptions,
  type LocalStackStatus,
} from './startLocalStack';
