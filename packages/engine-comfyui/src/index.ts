export { ComfyUiEngine, type ComfyUiEngineOptions } from './comfy-engine';
export { ComfyUiEngineConfigSchema, type ComfyUiEngineConfig, type ComfyUiEngineConfigInput } from './comfy-engine-config';
export { WorkflowTemplate, PLACEHOLDERS, type PlaceholderName, type PlaceholderValues, type ApiWorkflow } from './workflow-template';
export { previewSteps } from './preview-picker';
