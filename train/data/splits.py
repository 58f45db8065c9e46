"""Which real sources are held out of training, so accuracy is measured on unseen people and rooms.

rf-hands-obb (offices and outdoors, some rotated hands) and subhih-hands (webcam frames with face
and room in view, the closest to livehand's use) differ most from the training sources in
setting; together ~750 images.
"""
EVAL_SOURCES = ("rf-hands-obb", "subhih-hands")
